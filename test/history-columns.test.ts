import { describe, expect, it } from "vitest";
import { matchDeliveryColumns, matchEventColumns } from "../bridge/src/history/columns.js";

describe("event file headers", () => {
  it("reads Turkish headers", () => {
    const columns = matchEventColumns("events/b.csv", [
      "Kullanıcı ID",
      "Olay",
      "Tarih",
      "Olay Özellikleri",
    ]);
    expect([columns.user, columns.code, columns.time, columns.attributes]).toEqual([0, 1, 2, 3]);
  });

  it("names the missing role", () => {
    expect(() => matchEventColumns("events/b.csv", ["Kullanıcı ID", "Tarih"])).toThrow(
      "events/b.csv: has no column for code (eventcode, code, event, eventname, eventkey, " +
        'name, olay, olaykodu, olayadi); headers found: "Kullanıcı ID", "Tarih"',
    );
  });
});

describe("push result headers", () => {
  it("reads Turkish headers", () => {
    const columns = matchDeliveryColumns("push-results/1.csv", [
      "Kullanıcı ID",
      "Tarih",
      "Durum",
      "Hata Mesajı",
    ]);
    expect([columns.user, columns.time, columns.status, columns.error]).toEqual([0, 1, 2, 3]);
  });
});
