/**
 * The validator's refusals (src/config/config.ts validateSetting, checkBindingConflicts,
 * checkConnectionSettings; admin/http/ops.ts) in French, German and Italian, for the console.
 * The CLI and the JSON API keep the English text: the console recognises each English template
 * and rebuilds it in the chosen language; a message it does not recognise is shown as it is.
 */
import { t, type Lang } from './strings.js';
import { translateHint, translateUnit } from './setting-texts.js';

type Other = Exclude<Lang, 'en'>;
type Parts = Record<string, string>;

interface Template {
  /** The English message, matched whole; named groups are the parts. */
  en: RegExp;
  text: Record<Other, (p: Parts, lang: Other) => string>;
}

const WHAT: Record<string, Record<Other, string>> = {
  SSL: { fr: 'SSL', de: 'SSL', it: 'SSL' },
  TLS: { fr: 'TLS', de: 'TLS', it: 'TLS' },
  cleartext: { fr: 'en clair', de: 'Klartext', it: 'in chiaro' },
};

/** The "allowed" part of `is not allowed (allowed: ...)`: a range, true/false, a hint, or enum values. */
function allowedPart(lang: Other, allowed: string): string {
  const range = /^a whole number from (-?\d+) to (-?\d+)(?: (\w+))?$/.exec(allowed);
  if (range) {
    const unit = range[3] ? ' ' + translateUnit(lang, range[3]) : '';
    return { fr: `un nombre entier de ${range[1]} à ${range[2]}${unit}`, de: `eine ganze Zahl von ${range[1]} bis ${range[2]}${unit}`, it: `un numero intero da ${range[1]} a ${range[2]}${unit}` }[lang];
  }
  if (allowed === 'true or false') return `${t(lang, 'value_true')} ${{ fr: 'ou', de: 'oder', it: 'o' }[lang]} ${t(lang, 'value_false')}`;
  return translateHint(lang, allowed);
}

const TEMPLATES: Template[] = [
  {
    en: /^(?<setting>[\w.-]+): "(?<value>.*)" is not allowed \(allowed: (?<allowed>.*)\)$/s,
    text: {
      fr: (p, l) => `${p.setting} : « ${p.value} » n'est pas permis (valeurs permises : ${allowedPart(l, p.allowed)})`,
      de: (p, l) => `${p.setting}: „${p.value}“ ist nicht erlaubt (erlaubt: ${allowedPart(l, p.allowed)})`,
      it: (p, l) => `${p.setting}: "${p.value}" non è ammesso (valori ammessi: ${allowedPart(l, p.allowed)})`,
    },
  },
  {
    en: /^(?<setting>[\w.-]+): "(?<value>.*)" is not an address:port binding \(allowed: 127\.0\.0\.1:993, \[::\]:993, host:port, comma-separated; port 1-65535, or 0 for any free port\)$/s,
    text: {
      fr: (p) => `${p.setting} : « ${p.value} » n'est pas une liaison adresse:port (valeurs permises : 127.0.0.1:993, [::]:993, host:port, séparées par des virgules ; port 1-65535, ou 0 pour un port libre quelconque)`,
      de: (p) => `${p.setting}: „${p.value}“ ist keine Bindung der Form Adresse:Port (erlaubt: 127.0.0.1:993, [::]:993, host:port, durch Kommas getrennt; Port 1-65535 oder 0 für einen beliebigen freien Port)`,
      it: (p) => `${p.setting}: "${p.value}" non è un binding indirizzo:porta (valori ammessi: 127.0.0.1:993, [::]:993, host:port, separati da virgole; porta 1-65535, o 0 per una porta libera qualsiasi)`,
    },
  },
  {
    en: /^(?<setting>[\w.-]+): "(?<value>.*)" is listed twice \(allowed: each binding once\)$/s,
    text: {
      fr: (p) => `${p.setting} : « ${p.value} » figure deux fois (valeurs permises : chaque liaison une seule fois)`,
      de: (p) => `${p.setting}: „${p.value}“ ist doppelt aufgeführt (erlaubt: jede Bindung nur einmal)`,
      it: (p) => `${p.setting}: "${p.value}" compare due volte (valori ammessi: ogni binding una sola volta)`,
    },
  },
  {
    en: /^(?<setting>[\w.-]+): (?<binding>\S+) is already used by (?<section>[\w-]+) (?<other>[\w-]+) \(allowed: an address:port no other listener uses\)$/,
    text: {
      fr: (p) => `${p.setting} : ${p.binding} est déjà utilisé par ${p.section} ${p.other} (valeurs permises : une adresse:port qu'aucun autre service n'utilise)`,
      de: (p) => `${p.setting}: ${p.binding} wird bereits von ${p.section} ${p.other} verwendet (erlaubt: eine Adresse:Port, die kein anderer Dienst verwendet)`,
      it: (p) => `${p.setting}: ${p.binding} è già usato da ${p.section} ${p.other} (valori ammessi: un indirizzo:porta non usato da nessun altro servizio)`,
    },
  },
  {
    en: /^(?<setting>[\w.-]+): "(?<entry>.*)" names port (?<port>\d+), which is not a port of (?<section>[\w-]+) (?<kind>[\w-]+) \(allowed for (?<what>SSL|TLS|cleartext) entries: (?:none: [\w-]+ [\w-]+ is empty|(?<ports>[\d, ]+))\)$/s,
    text: {
      fr: (p, l) => `${p.setting} : « ${p.entry} » indique le port ${p.port}, qui n'est pas un port de ${p.section} ${p.kind} (valeurs permises pour les entrées ${WHAT[p.what][l]} : ${p.ports ?? `aucune : ${p.section} ${p.kind} est vide`})`,
      de: (p, l) => `${p.setting}: „${p.entry}“ nennt Port ${p.port}, der kein Port von ${p.section} ${p.kind} ist (erlaubt für ${WHAT[p.what][l]}-Einträge: ${p.ports ?? `keiner: ${p.section} ${p.kind} ist leer`})`,
      it: (p, l) => `${p.setting}: "${p.entry}" indica la porta ${p.port}, che non è una porta di ${p.section} ${p.kind} (valori ammessi per le voci ${WHAT[p.what][l]}: ${p.ports ?? `nessuna: ${p.section} ${p.kind} è vuoto`})`,
    },
  },
];

/** A validation message in `lang`: rebuilt from its English template, or as given when none matches. */
export function translateError(lang: Lang, message: string): string {
  if (lang === 'en') return message;
  for (const tpl of TEMPLATES) {
    const m = tpl.en.exec(message);
    if (m?.groups) return tpl.text[lang]({ ...m.groups } as Parts, lang);
  }
  return message;
}
