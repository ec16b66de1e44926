/**
 * Word lists for the sample generator. Every string fits Windows-1254 (Turkish), because one
 * of the user files is written in that code page.
 */

export const TURKISH_FIRST_NAMES = [
  "Ayşe",
  "Fatma",
  "Emine",
  "Hatice",
  "Zeynep",
  "Elif",
  "Özlem",
  "Şule",
  "Gülşen",
  "Büşra",
  "Çiğdem",
  "İpek",
  "Ilgın",
  "Merve",
  "Dilek",
  "Mehmet",
  "Mustafa",
  "Ahmet",
  "Ali",
  "Hüseyin",
  "İbrahim",
  "Şükrü",
  "Çağrı",
  "Oğuz",
  "Ömer",
  "Barış",
  "Gökhan",
  "Doğan",
  "Ümit",
  "Ilkay",
] as const;

export const TURKISH_SURNAMES = [
  "Yılmaz",
  "Kaya",
  "Demir",
  "Şahin",
  "Çelik",
  "Yıldız",
  "Yıldırım",
  "Öztürk",
  "Aydın",
  "Özdemir",
  "Arslan",
  "Doğan",
  "Kılıç",
  "Aslan",
  "Çetin",
  "Kara",
  "Koç",
  "Kurt",
  "Özkan",
  "Şimşek",
  "Güneş",
  "Erdoğan",
  "Ağaoğlu",
  "İnce",
  "Uçar",
] as const;

export const INTERNATIONAL_FIRST_NAMES = [
  "Anna",
  "Lukas",
  "Sophie",
  "Jonas",
  "Zoë",
  "François",
  "José",
  "Søren",
  "Émilie",
  "Jürgen",
  "Noah",
  "Olivia",
  "Liam",
  "Chloé",
  "Mateo",
] as const;

export const INTERNATIONAL_SURNAMES = [
  "Müller",
  "Schmidt",
  "Dubois",
  "García",
  "Jensen",
  "Smith",
  "Brown",
  "de Vries",
  "Rossi",
  "Nowak",
  "O'Brien",
  "Lefèvre",
] as const;

export interface Place {
  city: string;
  country: string;
  /** Country dialling code without the plus. */
  dial: string;
  language: string;
}

/** Weighted towards Türkiye, with EU/EEA and non-EU places for the GDPR-scope figures. */
export const TURKISH_PLACES: readonly Place[] = [
  { city: "İstanbul", country: "TR", dial: "90", language: "tr" },
  { city: "İstanbul", country: "TR", dial: "90", language: "tr" },
  { city: "İstanbul", country: "TR", dial: "90", language: "tr" },
  { city: "Ankara", country: "TR", dial: "90", language: "tr" },
  { city: "İzmir", country: "TR", dial: "90", language: "tr" },
  { city: "Bursa", country: "TR", dial: "90", language: "tr" },
  { city: "Antalya", country: "TR", dial: "90", language: "tr" },
  { city: "Eskişehir", country: "TR", dial: "90", language: "tr" },
  { city: "Diyarbakır", country: "TR", dial: "90", language: "tr" },
  { city: "Muğla", country: "TR", dial: "90", language: "tr" },
  { city: "Çanakkale", country: "TR", dial: "90", language: "tr" },
];

export const INTERNATIONAL_PLACES: readonly Place[] = [
  { city: "Berlin", country: "DE", dial: "49", language: "de" },
  { city: "München", country: "DE", dial: "49", language: "de" },
  { city: "Paris", country: "FR", dial: "33", language: "fr" },
  { city: "Amsterdam", country: "NL", dial: "31", language: "nl" },
  { city: "Wien", country: "AT", dial: "43", language: "de" },
  { city: "Oslo", country: "NO", dial: "47", language: "en" },
  { city: "London", country: "GB", dial: "44", language: "en" },
  { city: "Bakü", country: "AZ", dial: "994", language: "az" },
  { city: "New York", country: "US", dial: "1", language: "en" },
];

export const EMAIL_DOMAINS = [
  "gmail.com",
  "hotmail.com",
  "yahoo.com",
  "outlook.com",
  "example.com.tr",
  "firma.com.tr",
  "posta.example.org",
] as const;

export const FAVORITE_CATEGORIES = [
  "elektronik",
  "giyim",
  "kozmetik",
  "ev-yaşam",
  "spor",
  "kitap",
] as const;

export const STORE_PREFIXES = ["Kadıköy", "Beşiktaş", "Çankaya", "Karşıyaka", "Nilüfer", "Konak"];

export const MEMBERSHIP_TIERS = ["bronze", "silver", "gold", "platinum"] as const;

export const DEVICE_MODELS = {
  IOS: ["iPhone13,2", "iPhone14,5", "iPhone15,3", "iPad13,1"],
  ANDROID: ["SM-G991B", "SM-A525F", "Redmi Note 11", "Pixel 7", "CPH2219"],
} as const;

export const PAGES = [
  "/",
  "/kampanyalar",
  "/urun/akilli-saat",
  "/urun/kosu-ayakkabisi",
  "/sepet",
  "/hesabim",
  "/kategori/elektronik",
  "/kategori/giyim",
  "/arama?q=çanta",
] as const;

export const SEARCH_TERMS = ["çanta", "ayakkabı", "kulaklık", "şarj aleti", "gözlük", "ütü"];

export const NOTE_SENTENCES = [
  "Müşteri teslimat saatini akşam olarak tercih ediyor.",
  "Geçen ay iade talebi oluşturdu, sorun çözüldü.",
  "Kurumsal fatura istiyor; vergi numarası sipariş notunda.",
  "Çağrı merkezine iki kez ulaştı, memnuniyet anketi olumlu.",
  "Prefers English-speaking support and e-mail contact only.",
  "Sadakat programına kayıtlı, kampanya SMS'lerini istemiyor.",
];
