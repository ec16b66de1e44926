#!/usr/bin/env -S node --max-old-space-size=256
// The heap cap keeps peak memory near 220 MB: every command streams, and without a cap V8 lets
// its heap grow to several times what is live before it collects. Run the file with
// `node --max-old-space-size=N` to choose another cap.
import process from "node:process";
import { main } from "../dist/cli.js";

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  () => {
    process.exitCode = 1;
  },
);
