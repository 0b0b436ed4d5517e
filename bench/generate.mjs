#!/usr/bin/env node
// Deterministic corpus of reply emails for the mailops benchmarks.
//
//   import { generateCorpus } from './generate.mjs';
//   await generateCorpus(dir, 10000, { seed: 'mailops' });
//
//   node bench/generate.mjs <dir> <n> [--seed <seed>] [--force]
//
// Every message is a pure function of (seed, index), so the same seed always
// produces byte-identical files. Files land in subfolders of at most 1000
// files (<dir>/d0000/m000000.eml, ...) and each is between 3 KB and 20 KB.
// A manifest (<dir>/corpus.json) is written last; a directory with a
// matching manifest is considered complete and can be reused.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CORPUS_FORMAT = 1;
export const OUR_DOMAIN = 'sourceww.com';
export const MIN_BYTES = 3 * 1024;
export const MAX_BYTES = 20 * 1024;
export const FILES_PER_DIR = 1000;
export const DEFAULT_SEED = 'mailops';
export const MANIFEST = 'corpus.json';
const MAX_INFLIGHT = 32;

// ---------------------------------------------------------------------------
// PRNG: xmur3 string hash -> sfc32
// ---------------------------------------------------------------------------

function xmur3(str) {
  let h = 1779033703 ^ str.length;
  for (let i = 0; i < str.length; i++) {
    h = Math.imul(h ^ str.charCodeAt(i), 3432918353);
    h = (h << 13) | (h >>> 19);
  }
  return () => {
    h = Math.imul(h ^ (h >>> 16), 2246822507);
    h = Math.imul(h ^ (h >>> 13), 3266489909);
    return (h ^= h >>> 16) >>> 0;
  };
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const HEXL = '0123456789abcdef';
const HEXU = '0123456789ABCDEF';
const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
const B32 = 'abcdefghijklmnopqrstuvwxyz234567';

export class Rng {
  constructor(key) {
    const h = xmur3(String(key));
    let a = h(), b = h(), c = h(), d = h();
    this.next = () => {
      a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
      let t = (a + b) | 0;
      a = b ^ (b >>> 9);
      b = (c + (c << 3)) | 0;
      c = (c << 21) | (c >>> 11);
      d = (d + 1) | 0;
      t = (t + d) | 0;
      c = (c + t) | 0;
      return (t >>> 0) / 4294967296;
    };
    for (let i = 0; i < 12; i++) this.next();
  }
  int(lo, hi) { return lo + Math.floor(this.next() * (hi - lo + 1)); }
  pick(arr) { return arr[Math.floor(this.next() * arr.length)]; }
  chance(p) { return this.next() < p; }
  /** pairs: [[weight, value], ...] */
  weighted(pairs) {
    let total = 0;
    for (const [w] of pairs) total += w;
    let x = this.next() * total;
    for (const [w, v] of pairs) {
      if ((x -= w) < 0) return v;
    }
    return pairs[pairs.length - 1][1];
  }
  chars(alphabet, n) {
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(this.next() * alphabet.length)];
    return s;
  }
  hex(n) { return this.chars(HEXL, n); }
  HEX(n) { return this.chars(HEXU, n); }
  b64(n) { return this.chars(B64, n); }
  digits(n) { return this.chars('0123456789', n); }
  shuffle(arr) {
    const a = arr.slice();
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [a[i], a[j]] = [a[j], a[i]];
    }
    return a;
  }
}

// ---------------------------------------------------------------------------
// Word lists
// ---------------------------------------------------------------------------

const FIRST = [
  'James', 'Mary', 'Oliver', 'Emma', 'Liam', 'Sophie', 'Thomas', 'Charlotte', 'Daniel', 'Hannah',
  'Lukas', 'Anna', 'Jonas', 'Lena', 'Jürgen', 'Katrin', 'Hugo', 'Camille', 'Louis', 'Chloé',
  'François', 'Émilie', 'Mateo', 'Lucía', 'Pablo', 'Sofía', 'José', 'Carmen', 'Giulia', 'Marco',
  'Luca', 'Francesca', 'Sven', 'Ingrid', 'Björn', 'Astrid', 'Søren', 'Pieter', 'Sanne', 'Daan',
  'Priya', 'Arjun', 'Rohan', 'Ananya', 'Wei', 'Mei', 'Hiroshi', 'Yuki', 'Aisha', 'Omar',
  'Fatima', 'Ji-woo', 'Min-jun', 'Olga', 'Agnieszka', 'Tomasz', 'Małgorzata', 'Zoë', 'Siobhán', 'Seán',
  'Michael', 'Sarah', 'David', 'Laura', 'Robert', 'Jennifer', 'Chris', 'Megan', 'Kevin', 'Rachel',
];
const LAST = [
  'Smith', 'Johnson', 'Brown', 'Taylor', 'Wilson', 'Evans', 'Walker', 'Wright', 'Müller', 'Schmidt',
  'Schneider', 'Fischer', 'Weber', 'Becker', 'Dubois', 'Martin', 'Bernard', 'Lefèvre', 'Moreau', 'García',
  'Fernández', 'López', 'Martínez', 'Rossi', 'Russo', 'Bianchi', 'Ricci', 'Andersson', 'Johansson', 'Nilsson',
  'de Vries', 'van Dijk', 'Bakker', 'Jansen', 'Patel', 'Sharma', 'Gupta', 'Iyer', 'Wang', 'Li',
  'Zhang', 'Tanaka', 'Suzuki', 'Kim', 'Park', 'Nowak', 'Kowalski', 'Wiśniewska', 'Ivanova', "O'Brien",
  'MacDonald', 'Murphy', 'Kelly', 'Silva', 'Santos', 'Costa', 'Ahmed', 'Khan', 'Hassan', 'Nguyen',
];
const CO_PREFIX = [
  'Northwind', 'Contoso', 'Fabrikam', 'Brightline', 'Bluepeak', 'Ironbridge', 'Silverleaf', 'Redwood', 'Harbor', 'Summit',
  'Keystone', 'Alder', 'Granite', 'Meridian', 'Nimbus', 'Vertex', 'Orion', 'Cobalt', 'Atlas', 'Polaris',
  'Sterling', 'Evergreen', 'Lakeside', 'Pinecrest', 'Crescent', 'Tandem', 'Quayside', 'Larkspur', 'Foxglove', 'Arden',
];
const CO_NOUN = [
  'Logistics', 'Analytics', 'Systems', 'Foods', 'Robotics', 'Capital', 'Health', 'Energy', 'Labs', 'Software',
  'Freight', 'Manufacturing', 'Consulting', 'Media', 'Retail', 'Pharma', 'Solutions', 'Materials', 'Textiles', 'Networks',
  'Packaging', 'Components', 'Instruments', 'Brands',
];
const INDUSTRY = [
  'packaging', 'logistics', 'food and beverage', 'electronics', 'automotive parts', 'medical devices',
  'textiles', 'industrial equipment', 'consumer goods', 'chemicals', 'furniture', 'cosmetics',
];
const TITLES = [
  'Head of Procurement', 'Operations Manager', 'VP Sales', 'Chief Technology Officer', 'Purchasing Director',
  'Marketing Lead', 'Senior Buyer', 'Supply Chain Manager', 'Founder & CEO', 'Managing Director',
  'IT Manager', 'Office Manager', 'Category Manager', 'Business Development Manager', 'Head of Operations',
  'Procurement Specialist', 'Strategic Sourcing Lead', 'COO', 'Finance Director', 'Plant Manager',
];
const TITLES_LOCAL = {
  de: ['Geschäftsführer', 'Leiter Einkauf', 'Einkaufsleiterin', 'Teamleiter Logistik', 'Prokurist'],
  fr: ['Directrice Commerciale', 'Responsable Achats', 'Directeur des Opérations', 'Acheteuse Senior'],
  es: ['Director de Compras', 'Responsable de Operaciones', 'Gerente General', 'Jefa de Logística'],
};

// Phone templates: D = any digit, N = 2-9.
const COUNTRIES = [
  {
    code: 'GB', name: 'United Kingdom', tld: 'co.uk', legal: ['Ltd', 'Ltd.', 'Limited', 'plc'], tz: 0, lang: 'en', w: 18,
    cities: [['London', 'EC2A 4NE'], ['Manchester', 'M1 3BE'], ['Leeds', 'LS1 4DY'], ['Bristol', 'BS1 6QA']],
    streets: ['High Street', 'Station Road', 'Church Lane', 'Victoria Road', 'Kingsway'],
    office: ['+44 20 7946 0DDD', '+44 (0)20 7946 0DDD', '020 7946 0DDD', '+44 161 496 0DDD', '0161 496 0DDD', '+44 113 496 0DDD'],
    mobile: ['+44 7700 900DDD', '07700 900DDD', '+447700900DDD', '+44 (0)7700 900 DDD'],
  },
  {
    code: 'US', name: 'United States', tld: 'com', legal: ['Inc.', 'LLC', 'Corp.', 'Inc'], tz: -300, lang: 'en', w: 22,
    cities: [['New York, NY', '10013'], ['San Francisco, CA', '94107'], ['Chicago, IL', '60607'], ['Austin, TX', '78701'], ['Seattle, WA', '98104']],
    streets: ['Market Street', 'Main Street', 'Broadway', '5th Avenue', 'Lake Shore Drive'],
    office: ['+1 (212) 555-01DD', '(415) 555-01DD', '312-555-01DD', '512.555.01DD', '+1 206 555 01DD', '1-617-555-01DD', '+1 (646) 555-01DD ext. 2DD'],
    mobile: ['+1 (917) 555-01DD', '415-555-01DD', '(206) 555-01DD', '+1.312.555.01DD'],
  },
  {
    code: 'DE', name: 'Germany', tld: 'de', legal: ['GmbH', 'AG', 'GmbH & Co. KG', 'SE'], tz: 60, lang: 'de', w: 12,
    cities: [['Berlin', '10115'], ['München', '80331'], ['Hamburg', '20095'], ['Köln', '50667'], ['Frankfurt am Main', '60311']],
    streets: ['Hauptstraße', 'Bahnhofstraße', 'Friedrichstraße', 'Industriestraße', 'Schillerstraße'],
    office: ['+49 30 NDDD DDDD', '030 NDDDDDD-0', '+49 (0)89 NDDD DDD-0', '089 / NDD DDD DD', '+49 40 NDDDDD-DD', '+49 221 NDDDDDD'],
    mobile: ['+49 151 NDDDDDDD', '0151 NDDD DDDD', '+49 (0) 171 NDDDDDD', '+49 160 NDDDDDD', '0172 NDDDDDD'],
  },
  {
    code: 'FR', name: 'France', tld: 'fr', legal: ['SAS', 'SA', 'SARL'], tz: 60, lang: 'fr', w: 8,
    cities: [['Paris', '75002'], ['Lyon', '69002'], ['Lille', '59000'], ['Bordeaux', '33000'], ['Nantes', '44000']],
    streets: ['rue de la République', 'avenue Jean Jaurès', 'boulevard Haussmann', 'rue du Faubourg Saint-Honoré'],
    office: ['+33 1 ND DD DD DD', '01 ND DD DD DD', '+33 (0)1 ND DD DD DD', '01.ND.DD.DD.DD', '+33 4 ND DD DD DD', '04 ND DD DD DD'],
    mobile: ['+33 6 DD DD DD DD', '06 DD DD DD DD', '+33 (0)7 DD DD DD DD', '+33 6DDDDDDDD'],
  },
  {
    code: 'ES', name: 'Spain', tld: 'es', legal: ['S.L.', 'S.A.', 'SL'], tz: 60, lang: 'es', w: 6,
    cities: [['Madrid', '28013'], ['Barcelona', '08002'], ['Valencia', '46002'], ['Sevilla', '41001']],
    streets: ['Calle de Alcalá', 'Gran Vía', 'Passeig de Gràcia', 'Calle Mayor'],
    office: ['+34 91 NDD DD DD', '+34 912 DDD DDD', '912 DDD DDD', '+34 93 NDD DD DD', '93 NDD DD DD'],
    mobile: ['+34 6DD DDD DDD', '6DD DD DD DD', '+34 7DD DDD DDD'],
  },
  {
    code: 'IT', name: 'Italy', tld: 'it', legal: ['S.r.l.', 'S.p.A.', 'Srl'], tz: 60, lang: 'en', w: 5,
    cities: [['Milano', '20121'], ['Roma', '00184'], ['Torino', '10121'], ['Bologna', '40121']],
    streets: ['Via Roma', 'Corso Buenos Aires', 'Via Garibaldi', 'Viale Monza'],
    office: ['+39 02 NDDD DDDD', '02 NDDDDDDD', '+39 06 NDDD DDDD', '+39 011 NDD DDDD'],
    mobile: ['+39 347 DDD DDDD', '+39 333 DDDDDDD', '340 DDD DDDD'],
  },
  {
    code: 'NL', name: 'Netherlands', tld: 'nl', legal: ['B.V.', 'BV', 'N.V.'], tz: 60, lang: 'en', w: 5,
    cities: [['Amsterdam', '1012 AB'], ['Rotterdam', '3011 AD'], ['Utrecht', '3511 LX'], ['Eindhoven', '5611 AZ']],
    streets: ['Keizersgracht', 'Coolsingel', 'Herengracht', 'Stationsplein'],
    office: ['+31 20 NDD DDDD', '020-NDDDDDD', '+31 (0)20 NDD DD DD', '+31 10 NDD DDDD', '010 NDD DDDD'],
    mobile: ['+31 6 DDDDDDDD', '06-DDDDDDDD', '+31 (0)6 DD DD DD DD'],
  },
  {
    code: 'SE', name: 'Sweden', tld: 'se', legal: ['AB'], tz: 60, lang: 'en', w: 3,
    cities: [['Stockholm', '111 52'], ['Göteborg', '411 07'], ['Malmö', '211 20']],
    streets: ['Drottninggatan', 'Kungsgatan', 'Sveavägen'],
    office: ['+46 8 NDD DDD DD', '08-NDD DDD DD', '+46 31 NDD DD DD'],
    mobile: ['+46 70 DDD DD DD', '070-DDD DD DD', '+46 73 DDD DD DD'],
  },
  {
    code: 'IN', name: 'India', tld: 'in', legal: ['Pvt. Ltd.', 'Private Limited', 'Ltd.'], tz: 330, lang: 'en', w: 6,
    cities: [['Mumbai', '400001'], ['Bengaluru', '560001'], ['Pune', '411001'], ['New Delhi', '110001']],
    streets: ['MG Road', 'Linking Road', 'Residency Road', 'Nehru Place'],
    office: ['+91 22 NDDD DDDD', '022-NDDDDDDD', '+91-80-NDDDDDDD', '+91 20 NDDD DDDD'],
    mobile: ['+91 9DDDD DDDDD', '+91 98DDD DDDDD', '098DDD DDDDD', '+91-7DDDDDDDDD'],
  },
  {
    code: 'AU', name: 'Australia', tld: 'com.au', legal: ['Pty Ltd', 'Pty. Ltd.'], tz: 660, lang: 'en', w: 4,
    cities: [['Sydney NSW', '2000'], ['Melbourne VIC', '3000'], ['Brisbane QLD', '4000']],
    streets: ['George Street', 'Collins Street', 'Queen Street'],
    office: ['+61 2 5550 DDDD', '(02) 5550 DDDD', '+61 3 9DDD DDDD', '(03) 9DDD DDDD'],
    mobile: ['+61 491 570 DDD', '0491 570 DDD', '+61 4DD DDD DDD', '04DD DDD DDD'],
  },
  {
    code: 'JP', name: 'Japan', tld: 'co.jp', legal: ['K.K.', 'Co., Ltd.'], tz: 540, lang: 'en', w: 2,
    cities: [['Tokyo', '100-0005'], ['Osaka', '530-0001']],
    streets: ['Marunouchi 1-9-1', 'Umeda 3-1-3'],
    office: ['+81 3-NDDD-DDDD', '03-NDDD-DDDD', '+81 6 NDDD DDDD'],
    mobile: ['090-DDDD-DDDD', '+81 90 DDDD DDDD', '080-DDDD-DDDD'],
  },
  {
    code: 'BR', name: 'Brazil', tld: 'com.br', legal: ['Ltda.', 'S.A.'], tz: -180, lang: 'en', w: 2,
    cities: [['São Paulo - SP', '01310-100'], ['Rio de Janeiro - RJ', '20040-020']],
    streets: ['Avenida Paulista', 'Rua da Assembleia'],
    office: ['+55 11 3DDD-DDDD', '(11) 3DDD-DDDD', '+55 (21) 2DDD-DDDD'],
    mobile: ['+55 11 9DDDD-DDDD', '(11) 9DDDD-DDDD', '+55 21 9DDDD DDDD'],
  },
  {
    code: 'CA', name: 'Canada', tld: 'ca', legal: ['Inc.', 'Ltd.', 'Corp.'], tz: -300, lang: 'en', w: 3,
    cities: [['Toronto, ON', 'M5V 2T6'], ['Vancouver, BC', 'V6B 1A1'], ['Montréal, QC', 'H3B 2Y5']],
    streets: ['King Street West', 'Granville Street', 'Rue Sainte-Catherine'],
    office: ['+1 (416) 555-01DD', '416-555-01DD', '(604) 555-01DD', '+1 514 555 01DD'],
    mobile: ['+1 (647) 555-01DD', '778-555-01DD'],
  },
  {
    code: 'IE', name: 'Ireland', tld: 'ie', legal: ['Ltd', 'Limited', 'DAC'], tz: 0, lang: 'en', w: 2,
    cities: [['Dublin 2', 'D02 X285'], ['Cork', 'T12 RW26']],
    streets: ['Grafton Street', 'Patrick Street'],
    office: ['+353 1 NDD DDDD', '(01) NDD DDDD', '+353 (0)21 NDD DDDD'],
    mobile: ['+353 87 DDD DDDD', '087 DDD DDDD', '+353 (0)86 DDD DDDD'],
  },
  {
    code: 'PL', name: 'Poland', tld: 'pl', legal: ['sp. z o.o.', 'S.A.'], tz: 60, lang: 'en', w: 2,
    cities: [['Warszawa', '00-001'], ['Kraków', '31-001'], ['Wrocław', '50-001']],
    streets: ['ul. Marszałkowska', 'ul. Floriańska', 'ul. Świdnicka'],
    office: ['+48 22 NDD DD DD', '22 NDD DD DD', '+48 12 NDD DD DD'],
    mobile: ['+48 5DD DDD DDD', '+48 6DD DDD DDD', '+48 7DD-DDD-DDD'],
  },
  {
    code: 'CH', name: 'Switzerland', tld: 'ch', legal: ['AG', 'GmbH', 'SA'], tz: 60, lang: 'de', w: 2,
    cities: [['Zürich', '8001'], ['Basel', '4051'], ['Genève', '1204']],
    streets: ['Bahnhofstrasse', 'Freie Strasse', 'Rue du Rhône'],
    office: ['+41 44 NDD DD DD', '044 NDD DD DD', '+41 (0)61 NDD DD DD'],
    mobile: ['+41 79 DDD DD DD', '079 DDD DD DD', '+41 (0)76 DDD DD DD'],
  },
];
const COUNTRY_W = COUNTRIES.map((c) => [c.w, c]);
const inCountry = (c) => (['GB', 'US', 'NL'].includes(c.code) ? `the ${c.name}` : c.name);

const PHONE_LABELS = {
  en: { office: ['T:', 'Tel:', 'Phone:', 'Direct:', 'Office:', 'DD:', 'P:', 'Tel.'], mobile: ['M:', 'Mob:', 'Mobile:', 'Cell:', 'M.', 'Mobile'] },
  de: { office: ['Tel.:', 'Telefon:', 'T', 'Tel:', 'Fon:'], mobile: ['Mobil:', 'Handy:', 'M', 'Mobil'] },
  fr: { office: ['Tél. :', 'Tél :', 'T :', 'Tel:'], mobile: ['Mob. :', 'Portable :', 'M :'] },
  es: { office: ['Tel.:', 'Teléfono:', 'T.'], mobile: ['Móvil:', 'M.'] },
};
const CLOSINGS = {
  en: ['Best regards,', 'Kind regards,', 'Thanks,', 'Cheers,', 'Best,', 'Regards,', 'Many thanks,', 'Thank you,', 'All the best,'],
  de: ['Mit freundlichen Grüßen', 'Viele Grüße', 'Beste Grüße', 'Freundliche Grüße'],
  fr: ['Cordialement,', 'Bien cordialement,', 'Bien à vous,', 'Merci,'],
  es: ['Saludos,', 'Un saludo,', 'Atentamente,', 'Saludos cordiales,'],
};

const OUR_PEOPLE = [
  { first: 'Alex', last: 'Carter', title: 'Partnerships Lead' },
  { first: 'Priya', last: 'Natarajan', title: 'Account Executive' },
  { first: 'Tom', last: 'Ellison', title: 'Head of Growth' },
  { first: 'Nadia', last: 'Brennan', title: 'Business Development' },
  { first: 'Marcus', last: 'Hale', title: 'Sourcing Specialist' },
];
const CAMPAIGNS = [
  { id: 'spring24', subject: ['Quick question about {company}', 'Sourcing partners for {company}', '{first}, a faster way to vet suppliers'] },
  { id: 'q2logistics', subject: ['Freight costs at {company} in Q2', 'Cutting lead times for {company}', 'Idea for {company}\'s logistics team'] },
  { id: 'dachpilot', subject: ['Lieferantensuche für {company}', 'Supplier onboarding at {company}', 'Pilot programme — {company}'] },
  { id: 'frexpansion', subject: ['{company} x SourceWW', 'Vos fournisseurs en {industry}', 'Supplier network in France'] },
  { id: 'ukfoods', subject: ['Packaging suppliers for {company}', '{first}, quick intro', 'Reducing packaging spend'] },
  { id: 'nordics', subject: ['Nordic sourcing for {company}', 'Intro: SourceWW', 'Supplier audits, simplified'] },
  { id: 'apacpack', subject: ['APAC manufacturing partners', '{company} — supplier shortlist', 'Shortlisting {industry} suppliers'] },
  { id: 'usretail', subject: ['Retail suppliers for {company}', '{first}, 20 minutes next week?', 'How {company} could source faster'] },
];

// ---------------------------------------------------------------------------
// Sentence banks
// ---------------------------------------------------------------------------

const OUT_OPEN = [
  'I hope this finds you well.',
  "I'm reaching out because {company} came up in our research on {industry} companies in {country}.",
  'My name is {ourFirst} and I look after partnerships at SourceWW, where we help procurement teams find and vet manufacturers across Europe and Asia.',
  'We recently helped a business in {industry} of a similar size cut supplier onboarding from six weeks to nine days.',
  "I noticed {company} has been growing quickly, and I thought it was worth a short note.",
];
const OUT_BODY = [
  'Our platform checks certifications, capacity and delivery history before a supplier ever reaches your shortlist.',
  'Most of our customers start with a single category, usually packaging or spare parts, and expand from there.',
  'There is no setup fee, and the first three sourcing requests are on us.',
  'We currently work with more than {num} buyers in {country} alone.',
  "I'd love to understand how your team handles supplier discovery today and whether we could save you some time.",
  'If it is easier, I can send over a two-page overview with pricing and a couple of case studies.',
  'Happy to work around your schedule; Tuesday or Thursday afternoons usually work well on our side.',
  'Our quality team audits every factory on site at least once a year, and the reports are shared with you in full.',
  'Lead times on our network average {num2} days for standard orders, including inspection.',
  'We integrate with SAP Ariba, Coupa and most common ERP systems, so there is nothing new for your team to learn.',
  'Payment terms are handled by us, which means your suppliers get paid on time and you keep your usual 60-day terms.',
  'One of our customers, a mid-sized firm in {city}, consolidated from 40 {industry} suppliers to 12 without losing capacity.',
  'Every quote on the platform includes landed cost, so duties and freight are never a surprise.',
  'We also handle sample logistics, which tends to be the slowest part of qualifying a new supplier.',
  'Our team covers {num3} countries and speaks the language of every supplier we list.',
  'The typical saving our customers report in the first year is between 8 and 14 percent of category spend.',
  'If supplier risk is the bigger concern, our monitoring flags financial or compliance changes within 24 hours.',
  'Nothing changes in how you place orders; we simply make the shortlist shorter and better.',
];
const OUT_ASK = [
  'Would you be open to a 20-minute call next week?',
  'Is this something you would be open to exploring?',
  'Would it make sense to compare notes for 15 minutes?',
  'Are you the right person to speak to about this, or is there someone else on your team I should contact?',
  'Would next Wednesday at 10:00 work for a quick call?',
];
const OUT_FOLLOW = [
  'Just bumping this to the top of your inbox in case it got buried.',
  'I wanted to follow up on my note below.',
  'Circling back on this, as I know {month} is a busy month for procurement teams.',
  'One last try before I close the loop on my side.',
  'Following up in case my previous message slipped through the cracks.',
  'I know things get busy, so I thought I would check in once more.',
];
const DISCLAIMER = [
  'This email and any files transmitted with it are confidential and intended solely for the use of the individual or entity to whom they are addressed.',
  'If you have received this email in error, please notify the sender immediately and delete it from your system.',
  'Any views or opinions presented in this email are solely those of the author and do not necessarily represent those of {company}.',
  'The recipient should check this email and any attachments for the presence of viruses; {company} accepts no liability for any damage caused by any virus transmitted by this email.',
  '{company} is registered in {country}. Registered office: {street}, {city}.',
  'Please consider the environment before printing this email.',
  'We will never ask you to change bank details by email. If you receive such a request, please call your usual contact to verify it.',
];
const DISCLAIMER_LOCAL = {
  de: [
    'Diese E-Mail enthält vertrauliche und/oder rechtlich geschützte Informationen. Wenn Sie nicht der richtige Adressat sind, informieren Sie bitte sofort den Absender und vernichten Sie diese E-Mail.',
    'Das unerlaubte Kopieren sowie die unbefugte Weitergabe dieser E-Mail sind nicht gestattet.',
    '{company}, Sitz: {city}, Registergericht: Amtsgericht {city}.',
  ],
  fr: [
    "Ce message et toutes les pièces jointes sont confidentiels et établis à l'intention exclusive de ses destinataires.",
    "Toute utilisation ou diffusion non autorisée est interdite. Si vous avez reçu ce message par erreur, merci d'en avertir immédiatement l'expéditeur.",
  ],
};

/** Disclaimer sentences for a company: shuffled, without repetition until exhausted. */
function disclaimerDeck(rng, company) {
  const local = DISCLAIMER_LOCAL[company.country.lang] || [];
  return rng.shuffle(DISCLAIMER.concat(local));
}

function disclaimerVars(company) {
  return { company: company.name, country: company.country.name, street: company.street, city: company.city };
}

function fillDisclaimer(tpl, vars) {
  return fill(tpl, vars).replace(/\.\./g, '.');
}

const REPLY = {
  interested: [
    ['Thanks for reaching out.', 'Hi {ourFirst},', 'Hello {ourFirst},'],
    ['This is actually timely, as we are reviewing our {industry} suppliers this quarter.', 'We have been looking at exactly this problem.', 'Interesting timing, we just lost one of our main suppliers.'],
    ['Could you send over the overview and pricing?', 'Can you share a couple of case studies from companies of our size?', 'Please send me some more information, and I will share it with the team.'],
    ['Happy to set up a call next week; Tuesday after 2pm works for me.', 'Feel free to book something in my calendar.', 'Let me know what times suit you.', ''],
  ],
  meeting: [
    ['Hi {ourFirst},', 'Hello,', 'Dear {ourFirst},'],
    ['Thanks for following up.', 'Sorry for the slow reply.', 'Apologies, your email got buried.'],
    ['Thursday at 3pm CET works for us.', 'I can do a call on Monday morning, say 10:30 my time?', 'Could we do Wednesday instead? I am travelling until then.'],
    ['Please send an invite to me and to {refFirst} ({refEmail}), who runs our supplier onboarding.', 'My direct line is below if it is easier to call.', 'Looking forward to it.'],
  ],
  referral: [
    ['Hi {ourFirst},', 'Hello,', 'Hi there,'],
    ["I'm not the right person for this, but my colleague {refName} ({refTitle}) handles supplier onboarding.", 'This would sit with our procurement team rather than with me.', 'Thanks for the note; I have copied the right person.'],
    ['You can reach {refFirst} at {refEmail} or on {refPhone}.', 'Please contact {refName} directly at {refEmail}.', '{refName} can be reached on {refPhone} or by email at {refEmail}.'],
    ['Good luck!', 'Best of luck with it.', ''],
  ],
  notInterested: [
    ['Hi {ourFirst},', 'Hello,', ''],
    ["Thanks, but we're not looking for new suppliers at the moment.", 'We already have a sourcing partner and are happy with them.', 'Not a priority for us this year, sorry.'],
    ['Please remove me from your mailing list.', 'Feel free to check back in six months.', 'Please do not contact me again.', ''],
  ],
  question: [
    ['Hi {ourFirst},', 'Hello,'],
    ['What is the minimum order quantity for suppliers on your platform?', 'Do you work with suppliers in {country}?', 'How do you handle quality disputes?', 'What does pricing look like for a team of five buyers?'],
    ['We mostly order in small batches, so that matters a lot for us.', 'We have been burned by an agent before, so I am a bit cautious.', ''],
    ['Thanks in advance.', 'Looking forward to hearing from you.'],
  ],
  left: [
    ['Hello,', 'Hi,'],
    ['{oldFirst} left {company} in {month}.', '{oldFirst} is no longer with the company.'],
    ['Please update your records; for procurement questions contact {refName} at {refEmail}.', 'I have taken over {oldHisHer} responsibilities, so please keep me in the loop from now on.'],
  ],
};
const REPLY_LOCAL = {
  de: [
    ['Hallo {ourFirst},', 'Sehr geehrte Damen und Herren,', 'Guten Tag,'],
    ['vielen Dank für Ihre Nachricht.', 'danke für die Info.'],
    ['Das Thema ist für uns aktuell interessant. Können Sie mir Unterlagen und Preise schicken?', 'Zuständig ist bei uns {refName} aus dem Einkauf ({refEmail}, {refPhone}).', 'Wir haben derzeit keinen Bedarf, bitte streichen Sie mich aus Ihrem Verteiler.'],
  ],
  fr: [
    ['Bonjour {ourFirst},', 'Bonjour,'],
    ['Merci pour votre message.', 'Merci de votre relance.'],
    ['Le sujet nous intéresse, pourriez-vous m’envoyer une présentation et vos tarifs ?', 'Je vous invite à contacter {refName} ({refEmail}, {refPhone}) qui gère nos achats.', 'Nous ne sommes pas intéressés pour le moment.'],
  ],
  es: [
    ['Hola {ourFirst},', 'Buenos días,'],
    ['Gracias por tu mensaje.', 'Gracias por el seguimiento.'],
    ['Nos interesa, ¿podrías enviarme más información y precios?', 'La persona adecuada es {refName} ({refEmail}, {refPhone}), del equipo de compras.', 'De momento no nos interesa, gracias.'],
  ],
};
const OOO_TEXT = {
  en: {
    open: ['Thank you for your email.', 'Thanks for your message.', 'Hello,', 'Thank you for contacting me.'],
    away: [
      'I am currently out of the office until {returnDate} with limited access to email.',
      'I am on annual leave and will return on {returnDate}.',
      'I am travelling this week and will respond to your message when I am back on {returnDate}.',
      'I am out of the office on parental leave and will be back on {returnDate}.',
      'I am attending a trade fair until {returnDate} and will reply as soon as possible.',
    ],
    ref: [
      'For urgent matters, please contact {refName} at {refEmail} or {refPhone}.',
      'If your request is urgent, please contact {refName} ({refEmail} / {refPhone}).',
      'In my absence, please reach out to my colleague {refName} at {refEmail}.',
      'For anything urgent please call {refPhone} or email {refEmail}.',
    ],
    left: [
      'Please note that I have left {company}. Please contact {refName} at {refEmail} going forward.',
      'I am no longer with {company}. For procurement matters, please email {refEmail} or call {refPhone}.',
    ],
    close: ['Your email will not be forwarded.', 'I will respond to your message as soon as possible.', 'Kind regards,', 'Best regards,'],
  },
  de: {
    open: ['Vielen Dank für Ihre Nachricht.', 'Guten Tag,'],
    away: ['Ich bin bis einschließlich {returnDate} nicht im Büro und habe nur eingeschränkten Zugriff auf meine E-Mails.', 'Ich bin bis zum {returnDate} im Urlaub.'],
    ref: ['In dringenden Fällen wenden Sie sich bitte an {refName} ({refEmail}, Tel. {refPhone}).', 'Ihre E-Mail wird nicht weitergeleitet. Bitte kontaktieren Sie {refName} unter {refEmail}.'],
    left: ['Ich bin nicht mehr für {company} tätig. Bitte wenden Sie sich an {refEmail}.'],
    close: ['Mit freundlichen Grüßen', 'Beste Grüße'],
  },
  fr: {
    open: ['Bonjour,', 'Merci pour votre message.'],
    away: ['Je suis absent(e) du bureau jusqu’au {returnDate} inclus.', 'Je suis en congés jusqu’au {returnDate}.'],
    ref: ['Pour toute demande urgente, merci de contacter {refName} à {refEmail} ou au {refPhone}.'],
    left: ['Je ne fais plus partie de {company}. Merci de contacter {refEmail}.'],
    close: ['Cordialement,', 'Bien à vous,'],
  },
};

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTHS_LONG = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const DAYS_LONG = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const LOCALE = {
  de: {
    months: ['Januar', 'Februar', 'März', 'April', 'Mai', 'Juni', 'Juli', 'August', 'September', 'Oktober', 'November', 'Dezember'],
    days: ['So.', 'Mo.', 'Di.', 'Mi.', 'Do.', 'Fr.', 'Sa.'],
    daysLong: ['Sonntag', 'Montag', 'Dienstag', 'Mittwoch', 'Donnerstag', 'Freitag', 'Samstag'],
  },
  fr: {
    months: ['janvier', 'février', 'mars', 'avril', 'mai', 'juin', 'juillet', 'août', 'septembre', 'octobre', 'novembre', 'décembre'],
    days: ['dim.', 'lun.', 'mar.', 'mer.', 'jeu.', 'ven.', 'sam.'],
    daysLong: ['dimanche', 'lundi', 'mardi', 'mercredi', 'jeudi', 'vendredi', 'samedi'],
  },
  es: {
    months: ['enero', 'febrero', 'marzo', 'abril', 'mayo', 'junio', 'julio', 'agosto', 'septiembre', 'octubre', 'noviembre', 'diciembre'],
    days: ['dom', 'lun', 'mar', 'mié', 'jue', 'vie', 'sáb'],
    daysLong: ['domingo', 'lunes', 'martes', 'miércoles', 'jueves', 'viernes', 'sábado'],
  },
};

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

const pad2 = (n) => (n < 10 ? '0' : '') + n;

function fill(tpl, vars) {
  return tpl.replace(/\{(\w+)\}/g, (m, k) => (vars[k] !== undefined ? String(vars[k]) : m));
}

function ascii(s) {
  return s
    .replace(/ß/g, 'ss').replace(/[øØ]/g, 'o').replace(/[łŁ]/g, 'l').replace(/[æÆ]/g, 'ae')
    .normalize('NFD').replace(/[\u0300-\u036f]/g, '');
}

function isAscii(s) {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 126) return false;
  return true;
}

function isLatin1(s) {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 255) return false;
  return true;
}

function escHtml(s) {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Wrap each line of `text` to at most `width` columns, breaking at spaces. */
function wrap(text, width) {
  let out = '';
  let lineStart = 0;
  while (lineStart <= text.length) {
    let nl = text.indexOf('\n', lineStart);
    if (nl === -1) nl = text.length;
    let start = lineStart;
    while (nl - start > width) {
      let cut = text.lastIndexOf(' ', start + width);
      if (cut <= start) {
        cut = text.indexOf(' ', start + width);
        if (cut === -1 || cut >= nl) break;
      }
      out += text.slice(start, cut) + '\n';
      start = cut + 1;
    }
    out += text.slice(start, nl);
    if (nl < text.length) out += '\n';
    lineStart = nl + 1;
  }
  return out;
}

function quote(text, prefix = '> ') {
  return text.split('\n').map((l) => (l === '' ? prefix.trimEnd() : (l[0] === '>' ? '>' + l : prefix + l))).join('\n');
}

function b64wrap(buf) {
  const s = buf.toString('base64');
  const out = [];
  for (let i = 0; i < s.length; i += 76) out.push(s.slice(i, i + 76));
  return out.join('\n');
}

const QP_SAFE = new Uint8Array(256);
for (let b = 33; b <= 126; b++) QP_SAFE[b] = 1;
QP_SAFE[61] = 0; // '='
QP_SAFE[32] = 1;
QP_SAFE[9] = 1;

const HEXC = Buffer.from(HEXU, 'latin1');

/** Quoted-printable encoding (RFC 2045), lines of at most 76 chars. */
function qp(str, charset = 'utf-8') {
  const buf = Buffer.from(str, charset === 'utf-8' ? 'utf8' : 'latin1');
  const out = Buffer.allocUnsafe(buf.length * 3 + Math.ceil(buf.length / 24) * 2 + 16);
  let o = 0;
  let col = 0;
  const soft = (need) => {
    if (col + need > 75) { out[o++] = 61; out[o++] = 10; col = 0; }
  };
  const hex = (b) => {
    soft(3);
    out[o++] = 61; out[o++] = HEXC[b >> 4]; out[o++] = HEXC[b & 15];
    col += 3;
  };
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i];
    if (b === 10) {
      const last = col > 0 ? out[o - 1] : 0;
      if (last === 32 || last === 9) { o--; col--; hex(last); } // no trailing whitespace
      out[o++] = 10;
      col = 0;
    } else if (b === 13) {
      continue;
    } else if (QP_SAFE[b]) {
      soft(1);
      out[o++] = b;
      col++;
    } else {
      hex(b);
    }
  }
  return out.toString('latin1', 0, o);
}

/** RFC 2047 encoded-word(s) for a header value if it is not plain ASCII. */
function encWord(s, mode = 'B') {
  if (isAscii(s)) return s;
  const words = [];
  let chunk = '';
  const flush = () => {
    if (!chunk) return;
    if (mode === 'Q') {
      const q = Array.from(Buffer.from(chunk, 'utf8'))
        .map((b) => (b === 32 ? '_' : (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) ? String.fromCharCode(b) : '=' + HEXU[b >> 4] + HEXU[b & 15]))
        .join('');
      words.push(`=?UTF-8?Q?${q}?=`);
    } else {
      words.push(`=?UTF-8?B?${Buffer.from(chunk, 'utf8').toString('base64')}?=`);
    }
    chunk = '';
  };
  for (const ch of s) {
    if (Buffer.byteLength(chunk + ch) > (mode === 'Q' ? 20 : 42)) flush();
    chunk += ch;
  }
  flush();
  return words.join('\n ');
}

function addr(name, email) {
  if (!name) return email;
  if (!isAscii(name)) return `${encWord(name, 'Q')} <${email}>`;
  if (/[,."'()]/.test(name)) return `"${name.replace(/"/g, '\\"')}" <${email}>`;
  return `${name} <${email}>`;
}

function phone(rng, tpl) {
  let s = '';
  for (const ch of tpl) {
    if (ch === 'D') s += String(rng.int(0, 9));
    else if (ch === 'N') s += String(rng.int(2, 9));
    else s += ch;
  }
  return s;
}

// Dates: everything derived from a fixed epoch, never from the clock.
const EPOCH = Date.UTC(2024, 0, 8, 8, 0, 0);

function parts(ms, tz) {
  const d = new Date(ms + tz * 60000);
  return { y: d.getUTCFullYear(), mo: d.getUTCMonth(), d: d.getUTCDate(), wd: d.getUTCDay(), h: d.getUTCHours(), mi: d.getUTCMinutes(), s: d.getUTCSeconds() };
}

function tzStr(tz) {
  const sign = tz < 0 ? '-' : '+';
  const a = Math.abs(tz);
  return sign + pad2(Math.floor(a / 60)) + pad2(a % 60);
}

function rfcDate(ms, tz, zeroPad = false) {
  const p = parts(ms, tz);
  return `${DAYS[p.wd]}, ${zeroPad ? pad2(p.d) : p.d} ${MONTHS[p.mo]} ${p.y} ${pad2(p.h)}:${pad2(p.mi)}:${pad2(p.s)} ${tzStr(tz)}`;
}

function ampm(p) {
  const h12 = p.h % 12 === 0 ? 12 : p.h % 12;
  return `${h12}:${pad2(p.mi)} ${p.h < 12 ? 'AM' : 'PM'}`;
}

function attribution(style, name, email, ms, tz) {
  const p = parts(ms, tz);
  const hm = `${pad2(p.h)}:${pad2(p.mi)}`;
  switch (style) {
    case 'gmail-us': return `On ${DAYS[p.wd]}, ${MONTHS[p.mo]} ${p.d}, ${p.y} at ${ampm(p)} ${name} <${email}> wrote:`;
    case 'apple': return `On ${p.d} ${MONTHS[p.mo]} ${p.y}, at ${hm}, ${name} <${email}> wrote:`;
    case 'thunderbird': return `On ${p.mo + 1}/${p.d}/${String(p.y).slice(2)} ${ampm(p)}, ${name} wrote:`;
    case 'roundcube': return `On ${p.y}-${pad2(p.mo + 1)}-${pad2(p.d)} ${hm}, ${name} wrote:`;
    case 'de': return `Am ${LOCALE.de.days[p.wd]}, ${p.d}. ${LOCALE.de.months[p.mo]} ${p.y} um ${hm} Uhr schrieb ${name} <${email}>:`;
    case 'fr': return `Le ${LOCALE.fr.days[p.wd]} ${p.d} ${LOCALE.fr.months[p.mo]} ${p.y} à ${hm}, ${name} <${email}> a écrit :`;
    case 'es': return `El ${LOCALE.es.days[p.wd]}, ${p.d} ${LOCALE.es.months[p.mo].slice(0, 3)} ${p.y} a las ${hm}, ${name} (<${email}>) escribió:`;
    default: return `On ${DAYS[p.wd]}, ${p.d} ${MONTHS[p.mo]} ${p.y} at ${hm}, ${name} <${email}> wrote:`;
  }
}

function outlookDate(lang, ms, tz) {
  const p = parts(ms, tz);
  const hm = `${pad2(p.h)}:${pad2(p.mi)}`;
  switch (lang) {
    case 'de': return `${LOCALE.de.daysLong[p.wd]}, ${p.d}. ${LOCALE.de.months[p.mo]} ${p.y} ${hm}`;
    case 'fr': return `${LOCALE.fr.daysLong[p.wd]} ${p.d} ${LOCALE.fr.months[p.mo]} ${p.y} ${hm}`;
    case 'es': return `${LOCALE.es.daysLong[p.wd]}, ${p.d} de ${LOCALE.es.months[p.mo]} de ${p.y} ${hm}`;
    case 'en-gb': return `${pad2(p.d)} ${MONTHS_LONG[p.mo]} ${p.y} ${hm}`;
    default: return `${DAYS_LONG[p.wd]}, ${MONTHS_LONG[p.mo]} ${p.d}, ${p.y} ${ampm(p)}`;
  }
}

const OUTLOOK_LABELS = {
  en: ['From', 'Sent', 'To', 'Subject'],
  'en-gb': ['From', 'Sent', 'To', 'Subject'],
  de: ['Von', 'Gesendet', 'An', 'Betreff'],
  fr: ['De', 'Envoyé', 'À', 'Objet'],
  es: ['De', 'Enviado el', 'Para', 'Asunto'],
};

function humanDate(lang, ms, tz) {
  const p = parts(ms, tz);
  if (lang === 'de') return `${p.d}. ${LOCALE.de.months[p.mo]}`;
  if (lang === 'fr') return `${p.d} ${LOCALE.fr.months[p.mo]}`;
  return `${DAYS_LONG[p.wd]} ${p.d} ${MONTHS_LONG[p.mo]}`;
}

// ---------------------------------------------------------------------------
// People, companies, recipients
// ---------------------------------------------------------------------------

function makeCompany(rng) {
  const country = rng.weighted(COUNTRY_W);
  const prefix = rng.pick(CO_PREFIX);
  const noun = rng.pick(CO_NOUN);
  const legal = rng.pick(country.legal);
  const base = rng.chance(0.5) ? prefix + noun : prefix + (rng.chance(0.5) ? '-' : '') + noun.slice(0, rng.int(3, noun.length));
  const domain = base.toLowerCase() + '.' + (rng.chance(0.85) ? country.tld : 'com');
  const [city, zip] = rng.pick(country.cities);
  const street = `${rng.int(1, 240)} ${rng.pick(country.streets)}`;
  return { name: `${prefix} ${noun} ${legal}`, short: `${prefix} ${noun}`, domain, country, city, zip, street, industry: rng.pick(INDUSTRY) };
}

function localPart(rng, first, last) {
  const f = ascii(first).toLowerCase().replace(/[^a-z]/g, '');
  const l = ascii(last).toLowerCase().replace(/[^a-z]/g, '');
  return rng.weighted([
    [45, `${f}.${l}`], [15, `${f[0]}${l}`], [10, f], [8, `${f}_${l}`], [7, `${f}${l[0]}`], [5, `${l}.${f}`], [5, `${f[0]}.${l}`], [5, `${f}.${l}${rng.int(1, 9)}`],
  ]);
}

function makePerson(rng, company, lang) {
  const first = rng.pick(FIRST);
  let last = rng.pick(LAST);
  if (last === ascii(last) && rng.chance(0.05)) last = `${last}-${rng.pick(LAST)}`;
  const local = TITLES_LOCAL[lang];
  const title = local && rng.chance(0.5) ? rng.pick(local) : rng.pick(TITLES);
  return {
    first, last, name: `${first} ${last}`, title,
    email: `${localPart(rng, first, last)}@${company.domain}`,
    office: phone(rng, rng.pick(company.country.office)),
    mobile: phone(rng, rng.pick(company.country.mobile)),
    company,
  };
}

/** A recipient of one of our campaigns: a pure function of (seed, r). */
function recipientFor(seed, r) {
  const rng = new Rng(`${seed}:recipient:${r}`);
  const company = makeCompany(rng);
  const lang = company.country.lang;
  const person = makePerson(rng, company, lang);
  const colleague = makePerson(rng, company, lang);
  const campaign = CAMPAIGNS[Math.floor(rng.next() * CAMPAIGNS.length)];
  const rid = rng.chars(B32, 10);
  const our = rng.pick(OUR_PEOPLE);
  const sendMs = EPOCH + rng.int(0, 110) * 86400000 + rng.int(0, 8 * 3600) * 1000;
  const steps = rng.weighted([[45, 1], [30, 2], [17, 3], [8, 4]]);
  const stepMs = [sendMs];
  for (let s = 1; s < steps; s++) stepMs.push(stepMs[s - 1] + rng.int(2, 5) * 86400000 + rng.int(-3600, 3600) * 1000);
  const vars = {
    company: company.short, first: person.first, industry: company.industry, country: company.country.name,
  };
  const subject = fill(rng.pick(campaign.subject), vars);
  const personal = `${localPart(rng, person.first, person.last)}${rng.int(70, 99)}@${rng.pick(['yahoo.com', 'aol.com', 'hotmail.com', 'outlook.com', 'comcast.net', 'gmx.de', 'orange.fr'])}`;
  return {
    r, rid, campaign: campaign.id, person, colleague, company, lang, subject, steps, stepMs, personal,
    our: { ...our, name: `${our.first} ${our.last}`, email: `${our.first.toLowerCase()}.${our.last.toLowerCase()}@${OUR_DOMAIN}` },
    ourPhone: `+44 20 3807 ${pad2(rng.int(10, 99))}${pad2(rng.int(10, 99))}`,
    replyTo: `campaign+${rid}@${OUR_DOMAIN}`,
    msgId: `<c-${campaign.id}-r-${rid}@${OUR_DOMAIN}>`,
    num: rng.int(120, 900), num2: rng.int(9, 30), num3: rng.int(12, 40),
  };
}

// ---------------------------------------------------------------------------
// Our own (quoted) campaign messages
// ---------------------------------------------------------------------------

function ourVars(rc) {
  return {
    company: rc.company.short, first: rc.person.first, industry: rc.company.industry, country: inCountry(rc.company.country),
    city: rc.company.city, ourFirst: rc.our.first, num: rc.num, num2: rc.num2, num3: rc.num3,
    month: MONTHS_LONG[parts(rc.stepMs[0], 0).mo],
  };
}

/** Paragraphs of our message for step j: prefix-stable in `budget`. */
function ourParagraphs(rc, j, budget) {
  const rng = new Rng(`${rc.r}:${rc.rid}:step${j}`);
  const vars = ourVars(rc);
  const paras = [];
  let len = 0;
  const first = j === 0 ? fill(rng.pick(OUT_OPEN), vars) + ' ' + fill(rng.pick(OUT_BODY), vars) : fill(rng.pick(OUT_FOLLOW), vars);
  paras.push(first);
  len += first.length;
  let deck = [];
  while (len < budget || paras.length < 2) {
    const n = rng.int(2, 4);
    const ss = [];
    for (let k = 0; k < n; k++) {
      if (!deck.length) deck = rng.shuffle(OUT_BODY);
      ss.push(fill(deck.pop(), vars));
    }
    const p = ss.join(' ');
    paras.push(p);
    len += p.length + 2;
  }
  paras.push(fill(rng.pick(OUT_ASK), vars));
  return paras;
}

function ourSignature(rc) {
  return `${rc.our.name}\n${rc.our.title}, SourceWW\n${rc.ourPhone} | https://${OUR_DOMAIN}`;
}

function ourFooter(rc) {
  return `You are receiving this email because ${rc.company.short} is listed as a buyer in ${rc.company.industry}. ` +
    `To stop receiving emails from SourceWW, reply "unsubscribe" or visit https://${OUR_DOMAIN}/u/${rc.rid}.\n` +
    'SourceWW Ltd, 71-75 Shelton Street, London WC2H 9JQ, United Kingdom';
}

/** Our thread (steps 0..steps-1, newest quoting older), plain text. */
function ourThreadText(rc, budget) {
  const per = budget / rc.steps;
  let text = null;
  for (let j = 0; j < rc.steps; j++) {
    const paras = ourParagraphs(rc, j, per);
    const own = `Hi ${rc.person.first},\n\n${wrap(paras.join('\n\n'), 76)}\n\n${ourSignature(rc)}\n\n${wrap(ourFooter(rc), 76)}`;
    text = text === null ? own : `${own}\n\n${attribution('gmail', rc.our.name, rc.our.email, rc.stepMs[j - 1], 0)}\n${quote(text)}`;
  }
  return text;
}

function ourThreadHtml(rc, budget) {
  const per = budget / rc.steps;
  let html = null;
  for (let j = 0; j < rc.steps; j++) {
    const paras = ourParagraphs(rc, j, per);
    const own = `<p>Hi ${escHtml(rc.person.first)},</p>\n` + paras.map((p) => `<p>${escHtml(p)}</p>`).join('\n') +
      `\n<p>${escHtml(rc.our.name)}<br>\n${escHtml(rc.our.title)}, SourceWW<br>\n${rc.ourPhone} | <a href="https://${OUR_DOMAIN}">${OUR_DOMAIN}</a></p>\n` +
      `<p style="font-size:11px;color:#888888">${escHtml(ourFooter(rc)).replace(/\n/g, '<br>\n')}</p>`;
    html = html === null ? own
      : `${own}\n<div class="mo-quote"><p>${escHtml(attribution('gmail', rc.our.name, rc.our.email, rc.stepMs[j - 1], 0))}</p>\n<blockquote style="margin:0 0 0 .8ex;border-left:1px solid #ccc;padding-left:1ex">\n${html}\n</blockquote></div>`;
  }
  return html;
}

/** The outgoing message itself (as embedded in bounces and complaints). */
function ourOutgoing(rc, budget, lf, { to = rc.person.email, toName = rc.person.name, headersOnly = false, seedKey = '' } = {}) {
  const rng = new Rng(`${rc.r}:${rc.rid}:out${seedKey}`);
  const j = rc.steps - 1;
  const ms = rc.stepMs[j];
  const boundary = `mo-${rng.hex(24)}`;
  const subject = j === 0 ? rc.subject : `Re: ${rc.subject}`;
  const h = [
    `DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=${OUR_DOMAIN}; s=mo1;\n\tt=${Math.floor(ms / 1000)}; h=from:to:subject:date:message-id:list-unsubscribe;\n\tbh=${rng.b64(43)}=;\n\tb=${rng.b64(70)}\n\t ${rng.b64(70)}\n\t ${rng.b64(70)}\n\t ${rng.b64(70)}==`,
    `From: ${addr(rc.our.name, rc.our.email)}`,
    `Reply-To: ${rc.replyTo}`,
    `To: ${addr(toName, to)}`,
    `Subject: ${encWord(subject)}`,
    `Date: ${rfcDate(ms, 0)}`,
    `Message-ID: ${rc.msgId}`,
    `List-Unsubscribe: <https://${OUR_DOMAIN}/u/${rc.rid}>, <mailto:unsubscribe+${rc.rid}@${OUR_DOMAIN}>`,
    'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
    `X-Mailops-Campaign: ${rc.campaign}`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/alternative; boundary="${boundary}"`,
  ];
  if (headersOnly) return h.join('\n') + '\n';
  const text = ourThreadText(rc, budget);
  const html = `<!DOCTYPE html><html><body style="font-family:Arial,sans-serif;font-size:14px">\n${ourThreadHtml(rc, budget)}\n</body></html>`;
  return h.join('\n') + '\n\n' +
    `--${boundary}\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n${qp(text)}\n` +
    `--${boundary}\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n${qp(html)}\n` +
    `--${boundary}--\n`;
}

// ---------------------------------------------------------------------------
// Transport headers
// ---------------------------------------------------------------------------

function ip(rng, prefix) {
  return `${prefix}.${rng.int(1, 254)}.${rng.int(1, 254)}`;
}

function receivedChain(rng, { client, fromHost, fromIp, ms, tz }) {
  const out = [];
  const t0 = ms + rng.int(1, 4) * 1000;
  out.push(`Received: from ${fromHost} (${fromHost} [${fromIp}])\n\tby mx1.${OUR_DOMAIN} (Postfix) with ESMTPS id ${rng.HEX(10)}\n\tfor <${client.to}>; ${rfcDate(t0, 0)}`);
  out.push(`Received-SPF: pass (mx1.${OUR_DOMAIN}: domain of ${client.from} designates ${fromIp} as permitted sender) client-ip=${fromIp};`);
  out.push(`Authentication-Results: mx1.${OUR_DOMAIN};\n\tdkim=pass header.d=${client.domain} header.s=${client.selector} header.b=${rng.b64(8)};\n\tspf=pass (mx1.${OUR_DOMAIN}: domain of ${client.from} designates ${fromIp} as permitted sender) smtp.mailfrom=${client.from};\n\tdmarc=pass (p=${rng.pick(['NONE', 'QUARANTINE', 'REJECT'])} sp=NONE dis=NONE) header.from=${client.domain}`);
  const hops = rng.int(1, 3);
  for (let k = 0; k < hops; k++) {
    out.push(`Received: from ${rng.pick(['smtp', 'mail', 'out', 'relay'])}${rng.int(1, 30)}.${client.domain} (${ip(rng, '10.' + rng.int(0, 255))})\n\tby ${fromHost} with ${rng.pick(['ESMTPSA', 'ESMTP', 'SMTP'])} id ${rng.hex(12)};\n\t${rfcDate(ms - k * 1000, tz)}`);
  }
  return out;
}

function dkim(rng, domain, selector, ms, hlist) {
  return `DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;\n\td=${domain}; s=${selector}; t=${Math.floor(ms / 1000)};\n\th=${hlist};\n\tbh=${rng.b64(43)}=;\n\tb=${rng.b64(68)}\n\t ${rng.b64(68)}\n\t ${rng.b64(68)}\n\t ${rng.b64(68)}\n\t ${rng.b64(72)}=`;
}

function msHeaders(rng, email, ms) {
  const guid = () => `${rng.hex(8)}-${rng.hex(4)}-${rng.hex(4)}-${rng.hex(4)}-${rng.hex(12)}`;
  const srv = `${rng.pick(['AM6PR', 'DB9PR', 'PAXPR', 'CH3PR', 'SN6PR', 'LO2P'])}${pad2(rng.int(1, 99))}MB${rng.int(1000, 9999)}`;
  const info = [];
  for (let k = 0; k < rng.int(6, 14); k++) info.push(rng.b64(76));
  return {
    srv,
    lines: [
      `X-MS-Exchange-Organization-SCL: ${rng.int(-1, 1)}`,
      `X-MS-Exchange-CrossTenant-Network-Message-Id: ${guid()}`,
      `X-MS-Exchange-CrossTenant-originalarrivaltime: ${new Date(ms).toISOString().replace('Z', '').slice(0, 23)}0000 (UTC)`,
      'X-MS-Exchange-CrossTenant-fromentityheader: Hosted',
      `X-MS-Exchange-CrossTenant-id: ${guid()}`,
      'X-MS-Exchange-CrossTenant-AuthAs: Internal',
      `X-MS-Exchange-CrossTenant-AuthSource: ${srv}.eurprd0${rng.int(1, 9)}.prod.outlook.com`,
      `X-MS-Exchange-Transport-CrossTenantHeadersStamped: ${srv}`,
      'X-MS-PublicTrafficType: Email',
      `X-MS-TrafficTypeDiagnostic: ${srv}:EE_|${srv.slice(0, 5)}0${rng.int(1, 9)}MB${rng.int(1000, 9999)}:EE_`,
      'X-Microsoft-Antispam: BCL:0;',
      `X-Microsoft-Antispam-Message-Info:\n\t${info.join('\n\t')}`,
      `X-Forefront-Antispam-Report: CIP:255.255.255.255;CTRY:;LANG:en;SCL:1;SRV:;IPV:NLI;SFV:NSPM;H:${srv}.eurprd0${rng.int(1, 9)}.prod.outlook.com;PTR:;CAT:NONE;SFS:(13230031)(366004)(376002)(39860400002)(346002)(136003)(${rng.digits(8)});DIR:OUT;SFP:1101;`,
      `X-MS-Exchange-AntiSpam-MessageData-ChunkCount: 1`,
      `X-MS-Exchange-AntiSpam-MessageData-0:\n\t${rng.b64(76)}\n\t${rng.b64(76)}\n\t${rng.b64(60)}`,
      `X-OriginatorOrg: ${email.split('@')[1]}`,
    ],
  };
}

// ---------------------------------------------------------------------------
// Message contexts: every random decision is taken here, up front
// ---------------------------------------------------------------------------

const KINDS = [
  [55, 'human'],
  [20, 'ooo'],
  [7, 'dsn'],
  [3, 'bounce-text'],
  [2, 'arf'],
  [8, 'alternative'],
  [5, 'html'],
];

function uniqTag(i) {
  return i.toString(36).toUpperCase().padStart(5, '0');
}

function messageId(rng, client, domain, i, ms) {
  const u = uniqTag(i);
  switch (client) {
    case 'gmail': return `<CA${rng.chars(B64URL, 14)}${u}${rng.chars(B64URL, 20)}@mail.gmail.com>`;
    case 'outlook': {
      const srv = `${rng.pick(['AM6PR', 'DB9PR', 'PAXPR', 'CH3PR', 'SN6PR'])}${pad2(rng.int(1, 99))}MB${rng.int(1000, 9999)}`;
      return `<${srv}${u}${rng.HEX(20)}@${srv}.eurprd0${rng.int(1, 9)}.prod.outlook.com>`;
    }
    case 'apple': return `<${rng.HEX(8)}-${u.slice(-4)}-${rng.HEX(4)}-${rng.HEX(4)}-${rng.HEX(7)}${u.slice(0, 5)}@${domain}>`;
    case 'exim': return `<E1r${rng.chars(B64URL, 4)}-${u}-${rng.chars(B64URL, 2)}@${domain}>`;
    case 'postfix': {
      const p = parts(ms, 0);
      return `<${p.y}${pad2(p.mo + 1)}${pad2(p.d)}${pad2(p.h)}${pad2(p.mi)}${pad2(p.s)}.${rng.HEX(6)}${u}@${domain}>`;
    }
    default: return `<${rng.hex(8)}-${rng.hex(4)}-${u.toLowerCase()}-${rng.hex(12)}@${domain}>`;
  }
}

function makeContext(seed, i) {
  const rng = new Rng(`${seed}:message:${i}`);
  const kind = rng.weighted(KINDS);
  // ~6% of messages come from a recipient who already wrote (e.g. an
  // auto-reply first, then a real answer): same rid, same person.
  const r = i > 50 && rng.chance(0.06) ? i - rng.int(1, Math.min(i, 800)) : i;
  const rc = recipientFor(seed, r);
  const lf = rng.chance(0.75) ? '\r\n' : '\n';
  const lastMs = rc.stepMs[rc.steps - 1];
  const replyMs = lastMs + Math.floor(Math.pow(rng.next(), 3) * 9 * 86400000) + rng.int(120, 3600) * 1000;
  const tz = rc.company.country.tz;
  let target;
  switch (kind) {
    case 'ooo': target = rng.int(3300, 7500); break;
    case 'dsn': case 'bounce-text': target = rng.int(4000, 15000); break;
    case 'arf': target = rng.int(4000, 12000); break;
    default: target = Math.round(3300 + Math.pow(rng.next(), 1.7) * 16400);
  }
  return { i, seed, rng, kind, rc, lf, replyMs, tz, target };
}

// ---------------------------------------------------------------------------
// Builders. build(ctx, budget) -> message text with '\n' line ends.
// Each builder draws its random choices in prepare() so rebuilding with a
// different budget only changes the amount of quoted history.
// ---------------------------------------------------------------------------

function signatureFor(ctx, p) {
  const { rng, rc } = ctx;
  const lang = ctx.lang;
  const labels = PHONE_LABELS[lang] || PHONE_LABELS.en;
  const closing = rng.pick(CLOSINGS[lang] || CLOSINGS.en);
  const web = `www.${rc.company.domain}`;
  const style = rng.weighted([[30, 'block'], [18, 'pipes'], [14, 'dashdash'], [10, 'mobile'], [10, 'first'], [18, 'full']]);
  const ol = rng.pick(labels.office);
  const ml = rng.pick(labels.mobile);
  let sig;
  switch (style) {
    case 'block':
      sig = `${closing}\n${p.first}\n\n${p.name}\n${p.title}\n${rc.company.name}\n${ol} ${p.office}` + (rng.chance(0.6) ? `\n${ml} ${p.mobile}` : '') + `\n${p.email}\n${web}`;
      break;
    case 'pipes':
      sig = `${closing}\n${p.name} | ${p.title} | ${rc.company.short}\n${ol} ${rng.chance(0.5) ? p.office : p.mobile} | ${p.email}`;
      break;
    case 'dashdash':
      sig = `${closing}\n${p.first}\n\n-- \n${p.name}\n${p.title}, ${rc.company.name}\n${rc.company.street}, ${rc.company.zip} ${rc.company.city}\n${ol} ${p.office}`;
      break;
    case 'mobile':
      sig = rng.pick(['Sent from my iPhone', 'Sent from Outlook for Android', 'Get Outlook for iOS', 'Sent from my Galaxy', 'Von meinem iPhone gesendet']);
      break;
    case 'first':
      sig = `${closing}\n${p.first}`;
      break;
    default:
      sig = `${closing}\n\n${p.name}\n${p.title}\n\n${rc.company.name}\n${rc.company.street}\n${rc.company.zip} ${rc.company.city}\n${rc.company.country.name}\n\n${ol} ${p.office}\n${ml} ${p.mobile}\nE: ${p.email}\nW: ${web}`;
  }
  if (style !== 'mobile' && rng.chance(0.22)) {
    const vars = disclaimerVars(rc.company);
    const deck = disclaimerDeck(rng, rc.company);
    const n = rng.int(2, 4);
    const ds = [];
    for (let k = 0; k < n; k++) ds.push(fillDisclaimer(deck[k], vars));
    sig += '\n\n' + wrap(ds.join(' '), 76);
  }
  return { text: sig, style };
}

function replyBody(ctx) {
  const { rng, rc } = ctx;
  const ref = rc.colleague;
  const vars = {
    ourFirst: rc.our.first, industry: rc.company.industry, country: inCountry(rc.company.country), company: rc.company.short,
    refName: ref.name, refFirst: ref.first, refTitle: ref.title, refEmail: ref.email, refPhone: rng.chance(0.5) ? ref.office : ref.mobile,
    month: MONTHS_LONG[parts(ctx.replyMs, 0).mo], oldFirst: rc.person.first, oldHisHer: rng.pick(['his', 'her', 'their']),
  };
  let bank;
  let intent;
  if (REPLY_LOCAL[ctx.lang] && rng.chance(0.6)) {
    bank = REPLY_LOCAL[ctx.lang];
    intent = 'local';
  } else {
    intent = rng.weighted([[30, 'interested'], [12, 'meeting'], [18, 'referral'], [22, 'notInterested'], [12, 'question'], [6, 'left']]);
    bank = REPLY[intent];
  }
  const lines = [];
  for (const slot of bank) {
    const s = fill(rng.pick(slot), vars);
    if (s) lines.push(s);
  }
  // greeting on its own line, the rest as one or two paragraphs
  const [greet, ...rest] = lines;
  const body = /[,:]$/.test(greet) ? `${greet}\n\n${wrap(rest.join(' '), rng.int(68, 78))}` : wrap(lines.join(' '), rng.int(68, 78));
  return { text: body, intent };
}

function pickLang(ctx) {
  const l = ctx.rc.lang;
  return l !== 'en' && ctx.rng.chance(0.5) ? l : 'en';
}

function prepareReply(ctx) {
  const { rng, rc } = ctx;
  ctx.lang = pickLang(ctx);
  ctx.client = rng.weighted([[35, 'gmail'], [30, 'outlook'], [12, 'apple'], [10, 'thunderbird'], [13, 'roundcube']]);
  ctx.body = replyBody(ctx);
  // "X has left the company" answers come from the colleague who took over.
  const p = ctx.body.intent === 'left' ? rc.colleague : rc.person;
  ctx.sender = p;
  ctx.from = rng.chance(0.15) && ctx.client === 'outlook' ? addr(`${p.last}, ${p.first}`, p.email) : addr(p.name, p.email);
  ctx.sig = signatureFor(ctx, p);
  if (ctx.client === 'outlook') ctx.quoteStyle = rng.chance(0.8) ? 'outlook' : 'original';
  else if (ctx.client === 'gmail') ctx.quoteStyle = ctx.lang === 'en' ? rng.pick(['gmail', 'gmail', 'gmail-us']) : ctx.lang;
  else if (ctx.client === 'apple') ctx.quoteStyle = 'apple';
  else ctx.quoteStyle = ctx.client;
  ctx.outlookLang = ctx.lang === 'en' ? (rc.company.country.code === 'US' || rc.company.country.code === 'CA' ? 'en' : 'en-gb') : ctx.lang;
  ctx.subject = rng.chance(0.9) ? `Re: ${rc.steps > 1 ? 'Re: ' : ''}${rc.subject}` : (ctx.lang === 'de' ? `AW: ${rc.subject}` : `RE: ${rc.subject}`);
  ctx.msgId = messageId(rng, ctx.client === 'gmail' ? 'gmail' : ctx.client === 'outlook' ? 'outlook' : ctx.client === 'apple' ? 'apple' : 'uuid', rc.company.domain, ctx.i, ctx.replyMs);
  ctx.dkimSel = ctx.client === 'gmail' ? 'google' : ctx.client === 'outlook' ? 'selector1' : rng.pick(['default', 'mail', 's1', 'k1']);
  ctx.fromHost = ctx.client === 'gmail' ? `mail-${rng.pick(['wm1', 'ej1', 'lf1', 'yb1'])}-f${rng.int(41, 199)}.google.com`
    : ctx.client === 'outlook' ? `${rng.pick(['EUR05', 'EUR02', 'NAM12', 'NAM10'])}-${rng.pick(['AM6', 'DB8', 'VI1', 'BN8'])}-obe.outbound.protection.outlook.com`
      : `mail.${rc.company.domain}`;
  ctx.fromIp = ctx.client === 'gmail' ? ip(rng, '209.85') : ctx.client === 'outlook' ? ip(rng, '40.107') : ip(rng, `${rng.int(80, 199)}.${rng.int(1, 254)}`);
  ctx.transport = receivedChain(rng, {
    client: { to: rc.replyTo, from: p.email, domain: rc.company.domain, selector: ctx.dkimSel },
    fromHost: ctx.fromHost, fromIp: ctx.fromIp, ms: ctx.replyMs, tz: ctx.tz,
  });
  ctx.dkim = dkim(rng, rc.company.domain, ctx.dkimSel, ctx.replyMs, 'from:to:subject:date:message-id:in-reply-to:references:mime-version:content-type');
  ctx.ms = ctx.client === 'outlook' ? msHeaders(rng, p.email, ctx.replyMs) : null;
  ctx.threadIndex = rng.b64(30) + '==';
  ctx.wrapWidth = rng.int(72, 78);
  ctx.attach = rng.chance(0.05) ? rng.pick(['vcard', 'logo']) : null;
  ctx.attachBytes = ctx.attach === 'logo' ? rng.int(900, 2200) : 0;
  ctx.attachSeed = rng.hex(8);
}

function quotedHistoryText(ctx, budget) {
  const { rc } = ctx;
  const last = rc.steps - 1;
  const thread = ourThreadText(rc, budget);
  const lastMs = rc.stepMs[last];
  switch (ctx.quoteStyle) {
    case 'outlook': {
      const [f, s, t, sub] = OUTLOOK_LABELS[ctx.outlookLang];
      const sep = ctx.outlookLang === 'fr' ? ' :' : ':';
      return `________________________________\n${f}${sep} ${rc.our.name} <${rc.our.email}>\n${s}${sep} ${outlookDate(ctx.outlookLang, lastMs, ctx.tz)}\n${t}${sep} ${rc.person.name} <${rc.person.email}>\n${sub}${sep} ${last ? 'Re: ' : ''}${rc.subject}\n\n${thread}`;
    }
    case 'original':
      return `-----Original Message-----\nFrom: ${rc.our.name} [mailto:${rc.our.email}]\nSent: ${outlookDate('en', lastMs, ctx.tz)}\nTo: ${rc.person.email}\nSubject: ${last ? 'Re: ' : ''}${rc.subject}\n\n${thread}`;
    default:
      return `${attribution(ctx.quoteStyle, rc.our.name, rc.our.email, lastMs, ctx.tz)}\n${quote(thread)}`;
  }
}

function commonReplyHeaders(ctx) {
  const { rc } = ctx;
  const h = [];
  h.push(`Return-Path: <${ctx.sender.email}>`);
  h.push(`Delivered-To: ${rc.replyTo}`);
  h.push(...ctx.transport);
  h.push(ctx.dkim);
  if (ctx.client === 'outlook') {
    h.push(`From: ${ctx.from}`, `To: ${addr(rc.our.name, rc.replyTo)}`, `Subject: ${encWord(ctx.subject)}`, `Thread-Topic: ${encWord(ctx.subject.replace(/^(Re|RE|AW): /, ''))}`,
      `Thread-Index: ${ctx.threadIndex}`, `Date: ${rfcDate(ctx.replyMs, ctx.tz)}`, `Message-ID: ${ctx.msgId}`, `References: ${rc.msgId}`, `In-Reply-To: ${rc.msgId}`,
      `Accept-Language: ${ctx.lang === 'en' ? 'en-GB, en-US' : `${ctx.lang}-${rc.company.country.code}, en-US`}`, `Content-Language: ${ctx.lang === 'en' ? 'en-GB' : `${ctx.lang}-${rc.company.country.code}`}`,
      'X-MS-Has-Attach:' + (ctx.attach ? ' yes' : ''), 'X-MS-TNEF-Correlator:', ...ctx.ms.lines);
  } else {
    h.push('MIME-Version: 1.0');
    h.push(`References: ${rc.msgId}`, `In-Reply-To: ${rc.msgId}`);
    h.push(`From: ${ctx.from}`, `Date: ${rfcDate(ctx.replyMs, ctx.tz)}`, `Message-ID: ${ctx.msgId}`, `Subject: ${encWord(ctx.subject)}`);
    h.push(`To: ${namedTo(ctx) ? addr(rc.our.name, rc.replyTo) : rc.replyTo}`);
    if (ctx.client === 'apple') h.push(`X-Mailer: ${ctx.rc.r % 3 ? 'iPhone Mail (21D61)' : 'Apple Mail (2.3774.400.31)'}`);
    if (ctx.client === 'thunderbird') h.push('User-Agent: Mozilla Thunderbird');
    if (ctx.client === 'roundcube') h.push('User-Agent: Roundcube Webmail/1.6.5');
  }
  return h;
}

function namedTo(ctx) { return (ctx.i * 2654435761 >>> 0) % 5 !== 0; }

function attachmentPart(ctx, boundary) {
  const { rc } = ctx;
  const p = rc.person;
  if (ctx.attach === 'vcard') {
    const v = `BEGIN:VCARD\nVERSION:3.0\nN:${p.last};${p.first};;;\nFN:${p.name}\nORG:${rc.company.name}\nTITLE:${p.title}\nTEL;TYPE=WORK,VOICE:${p.office}\nTEL;TYPE=CELL:${p.mobile}\nEMAIL;TYPE=INTERNET:${p.email}\nURL:https://www.${rc.company.domain}\nEND:VCARD\n`;
    const fname = `${ascii(p.name).replace(/[^A-Za-z]+/g, ' ').trim()}.vcf`;
    return `--${boundary}\nContent-Type: text/vcard; charset=utf-8; name="${fname}"\nContent-Disposition: attachment; filename="${fname}"\nContent-Transfer-Encoding: base64\n\n${b64wrap(Buffer.from(v.replace(/\n/g, '\r\n'), 'utf8'))}\n`;
  }
  const r = new Rng(ctx.attachSeed);
  const bytes = Buffer.alloc(ctx.attachBytes);
  for (let k = 0; k < bytes.length; k++) bytes[k] = Math.floor(r.next() * 256);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(bytes, 0);
  return `--${boundary}\nContent-Type: image/png; name="image001.png"\nContent-Description: image001.png\nContent-Disposition: inline; filename="image001.png"; size=${bytes.length}\nContent-ID: <image001.png@01DA${ctx.attachSeed.toUpperCase()}>\nContent-Transfer-Encoding: base64\n\n${b64wrap(bytes)}\n`;
}

function textPart(ctx, text, { forceEnc } = {}) {
  const ascii7 = isAscii(text);
  let enc = forceEnc;
  let charset = 'utf-8';
  if (!enc) {
    if (ctx.client === 'outlook') { enc = ascii7 ? 'quoted-printable' : (ctx.i % 3 === 0 ? 'base64' : 'quoted-printable'); charset = isLatin1(text) && ctx.i % 2 ? 'iso-8859-1' : 'utf-8'; }
    else if (ctx.client === 'apple') enc = 'quoted-printable';
    else enc = ascii7 ? '7bit' : (ctx.i % 4 === 0 ? 'quoted-printable' : '8bit');
  }
  if (ascii7 && enc !== 'base64' && enc !== 'quoted-printable') charset = ctx.client === 'thunderbird' ? 'UTF-8' : 'us-ascii';
  let body = text;
  if (enc === 'quoted-printable') body = qp(text, charset === 'iso-8859-1' ? 'latin1' : 'utf-8');
  else if (enc === 'base64') body = b64wrap(Buffer.from(text, charset === 'iso-8859-1' ? 'latin1' : 'utf8'));
  const ct = `text/plain; charset=${charset === 'utf-8' && ctx.client === 'gmail' ? '"UTF-8"' : charset}`;
  return { headers: [`Content-Type: ${ct}`, `Content-Transfer-Encoding: ${enc}`], body };
}

function buildHuman(ctx, budget) {
  const text = `${ctx.body.text}\n\n${ctx.sig.text}\n\n${quotedHistoryText(ctx, budget)}\n`;
  const h = commonReplyHeaders(ctx);
  const part = textPart(ctx, text);
  if (!ctx.attach) {
    if (ctx.client === 'outlook') h.push('MIME-Version: 1.0');
    return h.concat(part.headers).join('\n') + '\n\n' + part.body + '\n';
  }
  const boundary = ctx.client === 'outlook' ? `_004_${ctx.ms.srv}${uniqTag(ctx.i)}_` : `${ctx.attachSeed}${uniqTag(ctx.i)}`;
  h.push(`Content-Type: multipart/${ctx.attach === 'logo' ? 'related' : 'mixed'}; boundary="${boundary}"`);
  if (ctx.client === 'outlook') h.push('MIME-Version: 1.0');
  return h.join('\n') + '\n\n' + (ctx.client === 'outlook' ? '' : 'This is a multi-part message in MIME format.\n') +
    `--${boundary}\n${part.headers.join('\n')}\n\n${part.body}\n` + attachmentPart(ctx, boundary) + `--${boundary}--\n`;
}

// --- HTML replies ---------------------------------------------------------

const MSO_STYLE = `<style><!--
/* Font Definitions */
@font-face
	{font-family:"Cambria Math";
	panose-1:2 4 5 3 5 4 6 3 2 4;}
@font-face
	{font-family:Calibri;
	panose-1:2 15 5 2 2 2 4 3 2 4;}
@font-face
	{font-family:Aptos;}
/* Style Definitions */
p.MsoNormal, li.MsoNormal, div.MsoNormal
	{margin:0cm;
	font-size:11.0pt;
	font-family:"Calibri",sans-serif;
	mso-ligatures:standardcontextual;
	mso-fareast-language:EN-US;}
a:link, span.MsoHyperlink
	{mso-style-priority:99;
	color:#0563C1;
	text-decoration:underline;}
span.EmailStyle19
	{mso-style-type:personal-reply;
	font-family:"Calibri",sans-serif;
	color:windowtext;}
.MsoChpDefault
	{mso-style-type:export-only;
	font-size:10.0pt;
	mso-ligatures:none;}
@page WordSection1
	{size:612.0pt 792.0pt;
	margin:72.0pt 72.0pt 72.0pt 72.0pt;}
div.WordSection1
	{page:WordSection1;}
--></style>`;

function htmlLines(text) {
  return escHtml(text).replace(/\n/g, '<br>\n');
}

function replyHtml(ctx, budget) {
  const { rc } = ctx;
  const ours = ourThreadHtml(rc, budget);
  const lastMs = rc.stepMs[rc.steps - 1];
  if (ctx.client === 'outlook') {
    const [f, s, t, sub] = OUTLOOK_LABELS[ctx.outlookLang];
    const p = (x) => `<p class="MsoNormal">${x}<o:p></o:p></p>`;
    const body = ctx.body.text.split('\n').map((l) => p(l ? escHtml(l) : '&nbsp;')).join('\n');
    const sig = ctx.sig.text.split('\n').map((l) => p(l ? `<span style="font-size:10.0pt;color:#1F3864">${escHtml(l)}</span>` : '&nbsp;')).join('\n');
    return `<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:w="urn:schemas-microsoft-com:office:word" xmlns:m="http://schemas.microsoft.com/office/2004/12/omml" xmlns="http://www.w3.org/TR/REC-html40">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<meta name="Generator" content="Microsoft Word 15 (filtered medium)">
${MSO_STYLE}
</head>
<body lang="EN-GB" link="#0563C1" vlink="#954F72" style="word-wrap:break-word">
<div class="WordSection1">
${body}
${p('&nbsp;')}
${sig}
${p('&nbsp;')}
<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">
<p class="MsoNormal"><b>${f}:</b> ${escHtml(rc.our.name)} &lt;${rc.our.email}&gt; <br>
<b>${s}:</b> ${outlookDate(ctx.outlookLang, lastMs, ctx.tz)}<br>
<b>${t}:</b> ${escHtml(rc.person.name)} &lt;${rc.person.email}&gt;<br>
<b>${sub}:</b> ${escHtml(rc.subject)}<o:p></o:p></p>
</div>
${p('&nbsp;')}
${ours}
</div>
</body>
</html>
`;
  }
  const attr = escHtml(attribution(ctx.quoteStyle === 'outlook' || ctx.quoteStyle === 'original' ? 'gmail' : ctx.quoteStyle, rc.our.name, rc.our.email, lastMs, ctx.tz));
  const body = ctx.body.text.split('\n\n').map((para) => `<div>${htmlLines(para)}</div>`).join('<div><br></div>\n');
  return `<div dir="ltr">${body}<div><br></div>\n<div dir="ltr" class="gmail_signature">${htmlLines(ctx.sig.text)}</div></div><br>
<div class="gmail_quote"><div dir="ltr" class="gmail_attr">${attr}<br></div><blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex">
${ours}
</blockquote></div>
`;
}

function prepareHtml(ctx) {
  prepareReply(ctx);
  ctx.attach = null;
  const r = ctx.rng;
  ctx.htmlEnc = r.weighted([[55, 'quoted-printable'], [30, 'base64'], [15, '8bit']]);
}

function encodeBody(text, enc) {
  if (enc === 'quoted-printable') return qp(text);
  if (enc === 'base64') return b64wrap(Buffer.from(text, 'utf8'));
  return wrapLong(text);
}

/** Keep 8bit HTML under the 998-octet line limit. */
function wrapLong(text) {
  return text.split('\n').map((l) => (l.length > 900 ? wrap(l, 200) : l)).join('\n');
}

function buildAlternative(ctx, budget) {
  const h = commonReplyHeaders(ctx);
  const text = `${ctx.body.text}\n\n${ctx.sig.text}\n\n${quotedHistoryText(ctx, budget)}\n`;
  const html = replyHtml(ctx, budget);
  const enc = ctx.htmlEnc;
  const boundary = ctx.client === 'outlook' ? `_000_${ctx.ms.srv}${uniqTag(ctx.i)}_` : ctx.client === 'gmail' ? `0000000000${ctx.attachSeed}${uniqTag(ctx.i).toLowerCase()}` : `Apple-Mail=_${ctx.attachSeed.toUpperCase()}-${uniqTag(ctx.i)}`;
  h.push(`Content-Type: multipart/alternative; boundary="${boundary}"`);
  if (ctx.client === 'outlook') h.push('MIME-Version: 1.0');
  return h.join('\n') + '\n\n' +
    `--${boundary}\nContent-Type: text/plain; charset="utf-8"\nContent-Transfer-Encoding: ${enc}\n\n${encodeBody(text, enc)}\n` +
    `--${boundary}\nContent-Type: text/html; charset="utf-8"\nContent-Transfer-Encoding: ${enc}\n\n${encodeBody(html, enc)}\n` +
    `--${boundary}--\n`;
}

function buildHtmlOnly(ctx, budget) {
  const h = commonReplyHeaders(ctx);
  const html = replyHtml(ctx, budget);
  const doc = ctx.client === 'outlook' ? html : `<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head><body>${html}</body></html>\n`;
  if (ctx.client === 'outlook') h.push('MIME-Version: 1.0');
  h.push('Content-Type: text/html; charset=utf-8', `Content-Transfer-Encoding: ${ctx.htmlEnc}`);
  return h.join('\n') + '\n\n' + encodeBody(doc, ctx.htmlEnc) + '\n';
}

// --- Out of office ----------------------------------------------------------

function prepareOoo(ctx) {
  const { rng, rc } = ctx;
  ctx.lang = pickLang(ctx);
  if (!OOO_TEXT[ctx.lang]) ctx.lang = 'en';
  ctx.client = rng.weighted([[50, 'exchange'], [25, 'gmail'], [25, 'sieve']]);
  const p = rc.person;
  const ref = rc.colleague;
  const T = OOO_TEXT[ctx.lang];
  const ret = ctx.replyMs + rng.int(2, 21) * 86400000;
  const vars = {
    returnDate: humanDate(ctx.lang, ret, ctx.tz), refName: ref.name, refEmail: ref.email, refPhone: rng.chance(0.6) ? ref.office : ref.mobile,
    company: rc.company.short,
  };
  const mode = rng.weighted([[52, 'plain'], [38, 'referral'], [10, 'left']]);
  ctx.oooMode = mode;
  const lines = [rng.pick(T.open)];
  if (mode === 'left') lines.push(fill(rng.pick(T.left), vars));
  else {
    lines.push(fill(rng.pick(T.away), vars));
    if (mode === 'referral') lines.push(fill(rng.pick(T.ref), vars));
  }
  lines.push(rng.pick(T.close));
  let text = lines.join('\n\n') + `\n\n${p.name}\n${p.title}\n${rc.company.name}`;
  if (rng.chance(0.3)) text += `\n${rng.pick((PHONE_LABELS[ctx.lang] || PHONE_LABELS.en).office)} ${p.office}`;
  if (ctx.lang !== 'en' && rng.chance(0.5)) {
    // bilingual auto-reply
    const E = OOO_TEXT.en;
    const en = [fill(rng.pick(E.away), { ...vars, returnDate: humanDate('en', ret, ctx.tz) })];
    if (mode === 'referral') en.push(fill(rng.pick(E.ref), vars));
    text += '\n\n---\n\n' + en.join(' ');
  }
  ctx.oooText = wrap(text, 76);
  const prefix = ctx.client === 'exchange'
    ? { en: 'Automatic reply: ', de: 'Automatische Antwort: ', fr: 'Réponse automatique : ' }[ctx.lang]
    : ctx.client === 'gmail' ? 'Re: ' : rng.pick(['Out of Office: ', 'Abwesenheit: ', 'Out of office: ']);
  ctx.subject = ctx.client === 'gmail' && rng.chance(0.5) ? rng.pick(['Out of office', 'Away until further notice', 'On holiday'])
    : `${prefix}${rc.steps > 1 ? 'Re: ' : ''}${rc.subject}`;
  ctx.from = addr(p.name, p.email);
  ctx.msgId = messageId(rng, ctx.client === 'exchange' ? 'outlook' : ctx.client === 'gmail' ? 'gmail' : 'uuid', rc.company.domain, ctx.i, ctx.replyMs);
  ctx.discl = rng.hex(8);
  ctx.ms = ctx.client === 'exchange' ? msHeaders(rng, p.email, ctx.replyMs) : null;
  ctx.transport = receivedChain(rng, {
    client: { to: rc.replyTo, from: p.email, domain: rc.company.domain, selector: 'selector1' },
    fromHost: ctx.client === 'gmail' ? `mail-wm1-f${rng.int(41, 199)}.google.com` : `mail.${rc.company.domain}`,
    fromIp: ip(rng, `${rng.int(40, 209)}.${rng.int(1, 254)}`), ms: ctx.replyMs, tz: ctx.tz,
  });
  ctx.dkim = dkim(rng, rc.company.domain, 'selector1', ctx.replyMs, 'from:to:subject:date:message-id:auto-submitted');
  ctx.threadIndex = rng.b64(30) + '==';
}

function disclaimerText(ctx, budget) {
  if (budget <= 0) return '';
  const r = new Rng(ctx.discl);
  const vars = disclaimerVars(ctx.rc.company);
  const out = [];
  let len = 0;
  let deck = [];
  while (len < budget) {
    if (!deck.length) deck = disclaimerDeck(r, ctx.rc.company);
    const s = fillDisclaimer(deck.pop(), vars);
    out.push(s);
    len += s.length + 1;
  }
  return wrap(out.join(' '), 76);
}

function buildOoo(ctx, budget) {
  const { rc } = ctx;
  const discl = disclaimerText(ctx, budget);
  const text = ctx.oooText + (discl ? `\n\n${discl}` : '') + '\n';
  const h = [`Return-Path: <${rc.person.email}>`, `Delivered-To: ${rc.replyTo}`, ...ctx.transport, ctx.dkim];
  const date = rfcDate(ctx.replyMs, ctx.tz);
  if (ctx.client === 'exchange') {
    h.push(`From: ${ctx.from}`, `To: ${addr(rc.our.name, rc.replyTo)}`, `Subject: ${encWord(ctx.subject)}`, `Thread-Topic: ${encWord(rc.subject)}`,
      `Thread-Index: ${ctx.threadIndex}`, `Date: ${date}`, `Message-ID: ${ctx.msgId}`, `References: ${rc.msgId}`, `In-Reply-To: ${rc.msgId}`,
      'Accept-Language: en-GB, en-US', 'Content-Language: en-GB', 'X-MS-Has-Attach:', 'X-MS-TNEF-Correlator:',
      'X-Auto-Response-Suppress: All', `X-MS-Exchange-Inbox-Rules-Loop: ${rc.person.email}`, 'Auto-Submitted: auto-generated',
      ...ctx.ms.lines);
    const boundary = `_000_${ctx.ms.srv}${uniqTag(ctx.i)}_`;
    const html = `<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\n</head>\n<body>\n<div style="font-family:Calibri,Arial,Helvetica,sans-serif;font-size:12pt;color:rgb(0,0,0)">\n` +
      text.trimEnd().split('\n\n').map((para) => `<p>${htmlLines(para)}</p>`).join('\n') + '\n</div>\n</body>\n</html>\n';
    h.push(`Content-Type: multipart/alternative; boundary="${boundary}"`, 'MIME-Version: 1.0');
    return h.join('\n') + '\n\n' +
      `--${boundary}\nContent-Type: text/plain; charset="utf-8"\nContent-Transfer-Encoding: quoted-printable\n\n${qp(text)}\n` +
      `--${boundary}\nContent-Type: text/html; charset="utf-8"\nContent-Transfer-Encoding: quoted-printable\n\n${qp(html)}\n` +
      `--${boundary}--\n`;
  }
  h.push('MIME-Version: 1.0', `From: ${ctx.from}`, `To: ${rc.replyTo}`, `Subject: ${encWord(ctx.subject)}`, `Date: ${date}`, `Message-ID: ${ctx.msgId}`,
    `In-Reply-To: ${rc.msgId}`, `References: ${rc.msgId}`);
  if (ctx.client === 'gmail') h.push('Auto-Submitted: auto-replied', 'Precedence: bulk');
  else h.push('Auto-Submitted: auto-replied (vacation)', 'X-Autoreply: yes', 'Precedence: auto_reply');
  const ascii7 = isAscii(text);
  h.push(`Content-Type: text/plain; charset=${ascii7 ? 'us-ascii' : 'utf-8'}`, `Content-Transfer-Encoding: ${ascii7 ? '7bit' : 'quoted-printable'}`);
  return h.join('\n') + '\n\n' + (ascii7 ? text : qp(text)) + '\n';
}

// --- Bounces ------------------------------------------------------------------

const BOUNCE_REASONS = [
  [55, { status: '5.1.1', action: 'failed', diag: (e) => `550 5.1.1 <${e}>: Recipient address rejected: User unknown in virtual mailbox table`, human: 'User unknown' }],
  [10, { status: '5.2.2', action: 'failed', diag: (e) => `552 5.2.2 <${e}>: Mailbox full`, human: 'Mailbox full' }],
  [10, { status: '5.7.1', action: 'failed', diag: () => '550 5.7.1 Message rejected due to content restrictions', human: 'Rejected by policy' }],
  [12, { status: '4.4.1', action: 'delayed', diag: () => '421 4.4.1 Connection timed out', human: 'Delivery delayed' }],
  [13, { status: '5.4.1', action: 'failed', diag: (e) => `550 5.4.1 Recipient address rejected: Access denied. [${e.split('@')[1]}]`, human: 'Access denied' }],
];

function prepareBounce(ctx) {
  const { rng, rc } = ctx;
  ctx.reason = rng.weighted(BOUNCE_REASONS);
  ctx.mta = ctx.kind === 'dsn' ? rng.weighted([[55, 'postfix'], [30, 'exchange'], [15, 'ours']]) : rng.weighted([[60, 'exim'], [40, 'qmail']]);
  ctx.host = ctx.mta === 'ours' ? `mta${rng.int(1, 4)}.${OUR_DOMAIN}` : ctx.mta === 'exchange' ? `${rng.pick(['AM6PR', 'DB9PR', 'PAXPR'])}${pad2(rng.int(1, 99))}MB${rng.int(1000, 9999)}.eurprd0${rng.int(1, 9)}.prod.outlook.com` : `mx${rng.int(1, 3)}.${rc.company.domain}`;
  ctx.queueId = rng.HEX(10);
  ctx.remoteIp = ip(rng, `${rng.int(80, 199)}.${rng.int(1, 254)}`);
  ctx.bounceMs = ctx.kind === 'dsn' && ctx.reason.action === 'delayed' ? rc.stepMs[rc.steps - 1] + 4 * 3600000 : rc.stepMs[rc.steps - 1] + rng.int(2, 600) * 1000;
  ctx.msgId = messageId(rng, ctx.mta === 'exim' ? 'exim' : ctx.mta === 'exchange' ? 'outlook' : 'postfix', ctx.host, ctx.i, ctx.bounceMs);
  ctx.headersOnly = ctx.kind === 'dsn' && ctx.mta === 'postfix' && rng.chance(0.25);
  ctx.boundary = `${ctx.queueId}.${Math.floor(ctx.bounceMs / 1000)}/${ctx.host}`;
  ctx.withInReplyTo = ctx.mta === 'exchange' || ctx.mta === 'ours';
}

function buildDsn(ctx, budget) {
  const { rc, reason } = ctx;
  const rcpt = rc.person.email;
  const orig = ourOutgoing(rc, budget, ctx.lf, { headersOnly: ctx.headersOnly });
  const date = rfcDate(ctx.bounceMs, ctx.mta === 'exchange' ? 0 : ctx.tz);
  const h = ['Return-Path: <>', `Received: from ${ctx.host} (${ctx.host} [${ctx.remoteIp}])\n\tby mx1.${OUR_DOMAIN} (Postfix) with ESMTPS id ${ctx.queueId}\n\tfor <${rc.replyTo}>; ${rfcDate(ctx.bounceMs + 2000, 0)}`];
  let human;
  let subject;
  let from;
  const failed = reason.action === 'failed';
  if (ctx.mta === 'exchange') {
    from = `Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@${rc.company.domain}>`;
    subject = failed ? `Undeliverable: ${rc.subject}` : `Delivery delayed: ${rc.subject}`;
    human = `Your message to ${rcpt} couldn't be delivered.\n\n${rc.person.first} wasn't found at ${rc.company.domain}.\n\n${rc.our.first}    Office 365    ${rc.person.first}\nAction Required                 Recipient\n\nUnknown To address\n\nHow to Fix It\nThe address may be misspelled or may not exist. Try one or more of the following:\n\n- Retype the recipient's address, then resend the message.\n- If the problem continues, contact the recipient's email admin.\n\nDiagnostic information for administrators:\n\nGenerating server: ${ctx.host}\n\n${rcpt}\nRemote server returned '${reason.diag(rcpt)}'\n`;
  } else if (ctx.mta === 'ours') {
    from = `Mail Delivery System <MAILER-DAEMON@${ctx.host}>`;
    subject = failed ? 'Undelivered Mail Returned to Sender' : 'Delayed Mail (still being retried)';
    human = `This is the mail system at host ${ctx.host}.\n\n${failed ? "I'm sorry to have to inform you that your message could not\nbe delivered to one or more recipients. It's attached below." : '####################################################################\n# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\n####################################################################\n\nYour message could not be delivered for more than 4 hour(s).\nIt will be retried until it is 5 day(s) old.'}\n\nFor further assistance, please send mail to postmaster.\n\n                   The mail system\n\n<${rcpt}>: host mx1.${rc.company.domain}[${ctx.remoteIp}] said:\n    ${reason.diag(rcpt)} (in reply to RCPT TO command)\n`;
  } else {
    from = `MAILER-DAEMON@${ctx.host} (Mail Delivery System)`;
    subject = failed ? 'Undelivered Mail Returned to Sender' : 'Delayed Mail (still being retried)';
    human = `This is the mail system at host ${ctx.host}.\n\n${failed ? "I'm sorry to have to inform you that your message could not\nbe delivered to one or more recipients. It's attached below." : 'Your message could not be delivered for more than 4 hour(s).\nIt will be retried until it is 5 day(s) old.'}\n\nFor further assistance, please send mail to postmaster.\n\nIf you do so, please include this problem report. You can\ndelete your own text from the attached returned message.\n\n                   The mail system\n\n<${rcpt}>: ${reason.diag(rcpt)}\n`;
  }
  h.push(`From: ${from}`, `To: ${rc.replyTo}`, `Subject: ${encWord(subject)}`, `Date: ${date}`, `Message-ID: ${ctx.msgId}`);
  if (ctx.withInReplyTo) h.push(`In-Reply-To: ${rc.msgId}`, `References: ${rc.msgId}`);
  h.push('Auto-Submitted: auto-replied', 'MIME-Version: 1.0', `Content-Type: multipart/report; report-type=delivery-status;\n\tboundary="${ctx.boundary}"`);
  if (ctx.mta !== 'exchange') h.push('Content-Transfer-Encoding: 8bit');
  const status = [
    `Reporting-MTA: dns; ${ctx.host}`,
    ctx.mta === 'exchange' ? '' : `X-Postfix-Queue-ID: ${ctx.queueId}\nX-Postfix-Sender: rfc822; ${rc.replyTo}`,
    `Arrival-Date: ${rfcDate(rc.stepMs[rc.steps - 1], 0)}`,
    '',
    `Final-Recipient: rfc822; ${rcpt}`,
    `Original-Recipient: rfc822;${rcpt}`,
    `Action: ${reason.action}`,
    `Status: ${reason.status}`,
    `Remote-MTA: dns; mx1.${rc.company.domain}`,
    `Diagnostic-Code: smtp; ${reason.diag(rcpt)}`,
    reason.action === 'delayed' ? `Will-Retry-Until: ${rfcDate(rc.stepMs[rc.steps - 1] + 5 * 86400000, 0)}` : '',
  ].filter((l, k) => l !== '' || k === 3).join('\n');
  let first;
  if (ctx.mta === 'exchange') {
    const alt = `${ctx.boundary}-alt`;
    const html = `<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head><body><div style="font-family:'Segoe UI',Frutiger,Arial,sans-serif"><p style="font-size:16pt;color:#000000">Your message to <a href="mailto:${rcpt}">${rcpt}</a> couldn't be delivered.</p>\n` +
      human.split('\n\n').slice(1).map((para) => `<p>${htmlLines(para)}</p>`).join('\n') + '\n</div></body></html>';
    first = `Content-Type: multipart/alternative; differences=Content-Type;\n\tboundary="${alt}"\n\n--${alt}\nContent-Type: text/plain; charset="utf-8"\nContent-Transfer-Encoding: quoted-printable\n\n${qp(human)}\n--${alt}\nContent-Type: text/html; charset="utf-8"\nContent-Transfer-Encoding: quoted-printable\n\n${qp(html)}\n--${alt}--\n`;
  } else {
    first = `Content-Description: Notification\nContent-Type: text/plain; charset=us-ascii\n\n${human}`;
  }
  return h.join('\n') + '\n\nThis is a MIME-encapsulated message.\n\n' +
    `--${ctx.boundary}\n${first}\n` +
    `--${ctx.boundary}\nContent-Description: Delivery report\nContent-Type: message/delivery-status\n\n${status}\n\n` +
    `--${ctx.boundary}\nContent-Description: ${ctx.headersOnly ? 'Undelivered Message Headers' : 'Undelivered Message'}\nContent-Type: ${ctx.headersOnly ? 'text/rfc822-headers' : 'message/rfc822'}\n${ctx.headersOnly ? '' : 'Content-Transfer-Encoding: 8bit\n'}\n${orig}\n` +
    `--${ctx.boundary}--\n`;
}

function buildBounceText(ctx, budget) {
  const { rc, reason } = ctx;
  const rcpt = rc.person.email;
  const orig = ourOutgoing(rc, budget, ctx.lf);
  const date = rfcDate(ctx.bounceMs, 0);
  const h = ['Return-Path: <>', `Received: from ${ctx.host} ([${ctx.remoteIp}])\n\tby mx1.${OUR_DOMAIN} (Postfix) with ESMTP id ${ctx.queueId}\n\tfor <${rc.replyTo}>; ${rfcDate(ctx.bounceMs + 2000, 0)}`];
  let body;
  if (ctx.mta === 'exim') {
    h.push(`X-Failed-Recipients: ${rcpt}`, 'Auto-Submitted: auto-replied', `From: Mail Delivery System <Mailer-Daemon@${ctx.host}>`, `To: ${rc.replyTo}`,
      `References: ${rc.msgId}`, 'Content-Type: text/plain; charset=us-ascii', 'Subject: Mail delivery failed: returning message to sender', `Message-Id: ${ctx.msgId}`, `Date: ${date}`);
    body = `This message was created automatically by mail delivery software.\n\nA message that you sent could not be delivered to one or more of its\nrecipients. This is a permanent error. The following address(es) failed:\n\n  ${rcpt}\n    host mx1.${rc.company.domain} [${ctx.remoteIp}]\n    SMTP error from remote mail server after RCPT TO:<${rcpt}>:\n    ${reason.diag(rcpt)}\n\n------ This is a copy of the message, including all the headers. ------\n\n`;
  } else {
    h.push(`From: MAILER-DAEMON@${ctx.host}`, `To: ${rc.replyTo}`, 'Subject: failure notice', `Date: ${date}`, `Message-ID: ${ctx.msgId}`);
    body = `Hi. This is the qmail-send program at ${ctx.host}.\nI'm afraid I wasn't able to deliver your message to the following addresses.\nThis is a permanent error; I've given up. Sorry it didn't work out.\n\n<${rcpt}>:\n${ctx.remoteIp} does not like recipient.\nRemote host said: ${reason.diag(rcpt)}\nGiving up on ${ctx.remoteIp}.\n\n--- Below this line is a copy of the message.\n\n`;
  }
  return h.join('\n') + '\n\n' + body + orig;
}

// --- Complaints (ARF, RFC 5965) ----------------------------------------------

const FBL = [
  { from: 'Yahoo! Mail AntiSpam Feedback <feedback@arf.mail.yahoo.com>', ua: 'Yahoo!-Mail-Feedback/2.0', host: 'arf.mail.yahoo.com' },
  { from: 'staff@hotmail.com', ua: 'Microsoft JMRP', host: 'jmrp.microsoft.com' },
  { from: 'Comcast Feedback Loop <feedbackloop@comcast.net>', ua: 'Comcast FBL', host: 'fbl.comcast.net' },
  { from: 'AOL Feedback Loop <scomp@aol.net>', ua: 'AOL SComp', host: 'mail.aol.net' },
  { from: 'Mail.ru FBL <fbl@corp.mail.ru>', ua: 'Mail.Ru FBL', host: 'fbl.mail.ru' },
];

function prepareArf(ctx) {
  const { rng } = ctx;
  ctx.fbl = rng.pick(FBL);
  ctx.arfMs = ctx.replyMs;
  ctx.srcIp = `203.0.113.${rng.int(2, 250)}`;
  ctx.boundary = `----=_Part_${rng.int(100000, 999999)}_${rng.int(100000000, 999999999)}.${uniqTag(ctx.i)}`;
  ctx.msgId = messageId(rng, 'uuid', ctx.fbl.host, ctx.i, ctx.arfMs);
  ctx.redact = rng.chance(0.4);
}

function buildArf(ctx, budget) {
  const { rc } = ctx;
  const rcpt = ctx.redact ? 'redacted@' + rc.personal.split('@')[1] : rc.personal;
  const orig = ourOutgoing(rc, budget, ctx.lf, { to: rcpt, toName: ctx.redact ? '' : rc.person.name, seedKey: ':arf' });
  const date = rfcDate(ctx.arfMs, 0);
  const received = `Received: from ${ctx.fbl.host} (${ctx.fbl.host} [${ctx.srcIp.replace('203.0.113', '198.51.100')}])\n\tby mx1.${OUR_DOMAIN} (Postfix) with ESMTPS id ${ctx.msgId.slice(1, 11).toUpperCase().replace(/[^A-Z0-9]/g, '0')}\n\tfor <abuse@${OUR_DOMAIN}>; ${date}`;
  const h = [received, `From: ${ctx.fbl.from}`, `To: abuse@${OUR_DOMAIN}`, `Subject: ${ctx.fbl.ua.startsWith('Yahoo') ? encWord(`FW: ${rc.subject}`) : `Email Feedback Report for IP ${ctx.srcIp}`}`,
    `Date: ${date}`, `Message-ID: ${ctx.msgId}`, 'MIME-Version: 1.0', `Content-Type: multipart/report; report-type=feedback-report;\n\tboundary="${ctx.boundary}"`];
  const report = [
    'Feedback-Type: abuse', `User-Agent: ${ctx.fbl.ua}`, 'Version: 1', `Original-Mail-From: <${rc.replyTo}>`, `Original-Rcpt-To: <${rcpt}>`,
    `Arrival-Date: ${rfcDate(rc.stepMs[rc.steps - 1], 0)}`, `Reported-Domain: ${OUR_DOMAIN}`, `Source-IP: ${ctx.srcIp}`,
    `Authentication-Results: ${ctx.fbl.host}; dkim=pass header.d=${OUR_DOMAIN}; spf=pass smtp.mailfrom=${OUR_DOMAIN}`,
  ].join('\n');
  return h.join('\n') + '\n\nThis is a multi-part message in MIME format.\n\n' +
    `--${ctx.boundary}\nContent-Type: text/plain; charset="US-ASCII"\nContent-Transfer-Encoding: 7bit\n\nThis is an email abuse report for an email message received from IP ${ctx.srcIp} on ${rfcDate(rc.stepMs[rc.steps - 1], 0)}.\nFor more information about this format please see http://www.mipassoc.org/arf/.\n\n` +
    `--${ctx.boundary}\nContent-Type: message/feedback-report\n\n${report}\n\n` +
    `--${ctx.boundary}\nContent-Type: message/rfc822\nContent-Disposition: inline\n\n${orig}\n` +
    `--${ctx.boundary}--\n`;
}

// ---------------------------------------------------------------------------
// Sizing
// ---------------------------------------------------------------------------

const BUILDERS = {
  human: [prepareReply, buildHuman],
  alternative: [prepareHtml, buildAlternative],
  html: [prepareHtml, buildHtmlOnly],
  ooo: [prepareOoo, buildOoo],
  dsn: [prepareBounce, buildDsn],
  'bounce-text': [prepareBounce, buildBounceText],
  arf: [prepareArf, buildArf],
};

function finish(ctx, msg) {
  return ctx.lf === '\n' ? msg : msg.replace(/\r?\n/g, '\r\n');
}

/** Build message i of the corpus; returns { text, bytes, kind }. */
export function buildMessage(seed, i) {
  const ctx = makeContext(seed, i);
  const [prepare, build] = BUILDERS[ctx.kind];
  prepare(ctx);
  const size = (m) => Buffer.byteLength(m) + (ctx.lf === '\n' ? 0 : countNl(m));
  let target = ctx.target;
  let budget = 0;
  let msg = build(ctx, 0);
  let s = size(msg);
  if (ctx.headersOnly && s < MIN_BYTES) {
    // a headers-only DSN too small to be realistic: return the full message
    ctx.headersOnly = false;
    msg = build(ctx, 0);
    s = size(msg);
  }
  // A deep thread can be too long on its own: quote fewer of our follow-ups.
  while (s > Math.min(MAX_BYTES, target * 1.15) && ctx.rc.steps > 1) {
    ctx.rc.steps--;
    msg = build(ctx, 0);
    s = size(msg);
  }
  const s0 = s;
  if (ctx.headersOnly) target = s;
  if (s < target) {
    // One probe to learn bytes per budget char, then correct.
    budget = Math.max(200, (target - s0) * 0.7);
    for (let iter = 0; iter < 8; iter++) {
      msg = build(ctx, budget);
      s = size(msg);
      if (Math.abs(s - target) < target * 0.06 && s >= MIN_BYTES && s <= MAX_BYTES) break;
      const rate = Math.max(0.3, (s - s0) / budget);
      budget = Math.max(0, budget + (target - s) / rate);
    }
  }
  // Hard bounds. Grow/shrink gently if the correction above overshot.
  for (let iter = 0; (s < MIN_BYTES || s > MAX_BYTES) && iter < 40; iter++) {
    budget = s < MIN_BYTES ? budget + 300 : budget * 0.85;
    msg = build(ctx, budget);
    s = size(msg);
  }
  if (s < MIN_BYTES || s > MAX_BYTES) throw new Error(`message ${i} (${ctx.kind}) is ${s} bytes, outside ${MIN_BYTES}..${MAX_BYTES}`);
  return { text: finish(ctx, msg), bytes: s, kind: ctx.kind, crlf: ctx.lf !== '\n' };
}

function countNl(s) {
  let n = 0;
  for (let k = s.indexOf('\n'); k !== -1; k = s.indexOf('\n', k + 1)) n++;
  return n;
}

// ---------------------------------------------------------------------------
// Corpus layout
// ---------------------------------------------------------------------------

export function corpusPath(dir, i, n) {
  const w = Math.max(6, String(Math.max(0, n - 1)).length);
  const sub = 'd' + String(Math.floor(i / FILES_PER_DIR)).padStart(Math.max(4, w - 3), '0');
  return path.join(dir, sub, 'm' + String(i).padStart(w, '0') + '.eml');
}

export function readManifest(dir) {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, MANIFEST), 'utf8'));
  } catch {
    return null;
  }
}

/** True if `dir` holds a complete corpus for (n, seed) from this generator. */
export function isCorpusComplete(dir, n, seed = DEFAULT_SEED) {
  const m = readManifest(dir);
  return !!m && m.format === CORPUS_FORMAT && m.n === n && m.seed === String(seed) && fs.existsSync(corpusPath(dir, n - 1, n));
}

/**
 * Write n messages into dir. Returns the manifest.
 * Options: seed (default 'mailops'), force (regenerate even if complete),
 * onProgress(done, n) called every 1000 files.
 */
export async function generateCorpus(dir, n, { seed = DEFAULT_SEED, force = false, onProgress } = {}) {
  n = Number(n);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`invalid corpus size: ${n}`);
  seed = String(seed);
  if (!force && isCorpusComplete(dir, n, seed)) return { ...readManifest(dir), reused: true };
  fs.mkdirSync(dir, { recursive: true });
  fs.rmSync(path.join(dir, MANIFEST), { force: true });
  // Remove leftovers of a previous (partial or different) corpus.
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory() && /^d\d+$/.test(e.name)) fs.rmSync(path.join(dir, e.name), { recursive: true, force: true });
  }
  const t0 = process.hrtime.bigint();
  const kinds = {};
  let bytes = 0;
  let min = Infinity;
  let max = 0;
  let crlf = 0;
  let lastSub = '';
  const inflight = new Set();
  let writeError = null;
  for (let i = 0; i < n; i++) {
    const file = corpusPath(dir, i, n);
    const sub = path.dirname(file);
    if (sub !== lastSub) { fs.mkdirSync(sub, { recursive: true }); lastSub = sub; }
    const m = buildMessage(seed, i);
    // Overlap generation with disk writes; keep a bounded number in flight.
    const w = fs.promises.writeFile(file, m.text).then(
      () => { inflight.delete(w); },
      (err) => { inflight.delete(w); writeError ??= err; },
    );
    inflight.add(w);
    if (inflight.size >= MAX_INFLIGHT) await Promise.race(inflight);
    if (writeError) break;
    kinds[m.kind] = (kinds[m.kind] || 0) + 1;
    bytes += m.bytes;
    if (m.bytes < min) min = m.bytes;
    if (m.bytes > max) max = m.bytes;
    if (m.crlf) crlf++;
    if (onProgress && (i + 1) % 1000 === 0) onProgress(i + 1, n);
  }
  await Promise.all(inflight);
  if (writeError) throw writeError;
  const manifest = {
    generator: 'mailops-bench-corpus', format: CORPUS_FORMAT, seed, n, bytes, minBytes: min, maxBytes: max,
    crlfFiles: crlf, kinds: Object.fromEntries(Object.entries(kinds).sort()), filesPerDir: FILES_PER_DIR,
    ourDomain: OUR_DOMAIN,
  };
  fs.writeFileSync(path.join(dir, MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
  return { ...manifest, reused: false, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}

// ---------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------

async function main(argv) {
  const args = [];
  let seed = DEFAULT_SEED;
  let force = false;
  for (let k = 0; k < argv.length; k++) {
    if (argv[k] === '--seed') seed = argv[++k];
    else if (argv[k] === '--force') force = true;
    else if (argv[k] === '-h' || argv[k] === '--help') { args.length = 0; break; }
    else args.push(argv[k]);
  }
  if (args.length !== 2) {
    process.stderr.write('usage: node bench/generate.mjs <dir> <n> [--seed <seed>] [--force]\n');
    process.exit(2);
  }
  const [dir, n] = args;
  const m = await generateCorpus(dir, Number(n), {
    seed, force,
    onProgress: process.stderr.isTTY ? (d, total) => process.stderr.write(`\r  ${d}/${total}`) : undefined,
  });
  if (process.stderr.isTTY) process.stderr.write('\r');
  const mb = (m.bytes / 1048576).toFixed(1);
  process.stderr.write(`${m.reused ? 'reused' : 'wrote'} ${m.n} messages (${mb} MB, ${m.minBytes}..${m.maxBytes} bytes each) in ${dir}` +
    (m.seconds !== undefined ? ` in ${m.seconds.toFixed(1)} s` : '') + '\n');
  process.stdout.write(JSON.stringify(m) + '\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main(process.argv.slice(2)).catch((err) => {
    process.stderr.write(`generate: ${err.stack || err}\n`);
    process.exit(1);
  });
}
