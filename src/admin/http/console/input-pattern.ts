/**
 * HTML `pattern` attributes from the settings schema, so the browser flags a bad text, binding
 * or list value while it is typed (the server still checks every value on save). Browsers compile
 * `pattern` as `^(?:...)$` with the `v` flag and no other flag, so the schema's regular
 * expressions are rewritten: `v`-mode escapes inside character classes, and letters spelled in
 * both cases when the schema's expression is case-insensitive.
 */
import type { SettingType } from '../../../config/schema.js';

/** Characters `v` mode wants escaped inside a class (besides a `-` that is not a range). */
const CLASS_SYNTAX = new Set(['(', ')', '[', '{', '}', '/', '|']);

/** `re`'s source, valid as an HTML pattern (v flag, no i flag); null when it cannot be carried over. */
export function htmlPattern(re: RegExp): string | null {
  const flags = re.flags.replace(/[gdy]/g, '');
  if (flags !== '' && flags !== 'i') return null;
  const caseless = flags === 'i';
  const both = (c: string): string => (/[A-Za-z]/.test(c) ? c.toLowerCase() + c.toUpperCase() : c);
  const src = re.source;
  let out = '';
  let inClass = false;
  let classStart = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') {
      // \p{..}, \k<..>, \xHH, \uHHHH or a one-character escape: copied whole.
      const close = src[i + 1] === 'p' || src[i + 1] === 'P' ? src.indexOf('}', i) : src[i + 1] === 'k' ? src.indexOf('>', i) : -1;
      const end = close >= 0 ? close : i + (src[i + 1] === 'x' ? 3 : src[i + 1] === 'u' ? 5 : 1);
      out += src.slice(i, end + 1);
      i = end;
      continue;
    }
    if (!inClass) {
      if (c === '(' && src.startsWith('?<', i + 1) && /[A-Za-z]/.test(src[i + 3] ?? '')) {
        const end = src.indexOf('>', i);
        out += src.slice(i, end + 1);
        i = end;
      } else if (c === '[') {
        inClass = true;
        out += c;
        if (src[i + 1] === '^') out += src[++i];
        classStart = i + 1;
      } else {
        out += caseless && /[A-Za-z]/.test(c) ? `[${both(c)}]` : c;
      }
      continue;
    }
    if (c === ']') {
      inClass = false;
      out += c;
    } else if (caseless && /[A-Za-z]/.test(c) && src[i + 1] === '-' && /[A-Za-z]/.test(src[i + 2] ?? '')) {
      const to = src[i + 2];
      out += `${c.toLowerCase()}-${to.toLowerCase()}${c.toUpperCase()}-${to.toUpperCase()}`;
      i += 2;
    } else if (c === '-' && (i === classStart || src[i + 1] === ']')) {
      out += '\\-';
    } else if (CLASS_SYNTAX.has(c)) {
      out += '\\' + c;
    } else {
      out += caseless ? both(c) : c;
    }
  }
  return out;
}

/** Whether `source` has a `|` outside every group and class (so it cannot be embedded as is). */
function topLevelAlternation(source: string): boolean {
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') { i++; continue; }
    if (inClass) { if (c === ']') inClass = false; continue; }
    if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) return true;
  }
  return false;
}

/** An item expression without its ^...$ anchors, for use inside a list pattern; null when it cannot be. */
function itemPattern(re: RegExp): string | null {
  const p = htmlPattern(re);
  if (p === null || topLevelAlternation(re.source)) return null;
  return p.replace(/^\^/, '').replace(/\$$/, '');
}

/** Comma-separated items, blanks around them and empty items allowed (as the validator reads lists). */
function listOf(item: string): string {
  return `\\s*(?:(?:${item})\\s*)?(?:,\\s*(?:(?:${item})\\s*)?)*`;
}

/** host:port or [v6]:port, as parseBindings accepts (the port's range is checked by the server). */
const BINDING = '(?:\\[[0-9A-Fa-f:.]+\\]|[0-9A-Za-z.\\-]+):\\d{1,5}';

/** The HTML pattern for a setting of this type, and whether an empty value is refused. */
export function inputPattern(ty: SettingType): { pattern: string | null; required: boolean } {
  switch (ty.kind) {
    case 'string':
      return ty.pattern ? { pattern: htmlPattern(ty.pattern), required: !ty.pattern.test('') } : { pattern: null, required: false };
    case 'bindings':
      return { pattern: listOf(BINDING), required: false };
    case 'string-list': {
      const item = ty.item ? itemPattern(ty.item) : null;
      return { pattern: item === null ? null : listOf(item), required: false };
    }
    default:
      return { pattern: null, required: false };
  }
}
