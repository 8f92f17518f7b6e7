// WeChat Pay v2 bodies are flat XML: `<xml><key><![CDATA[value]]></key>…</xml>`, one level deep.
// A tiny purpose-built reader/writer, not a general XML parser: it reads exactly that shape, and it
// refuses DOCTYPE/ENTITY declarations outright (the XXE hole WeChat warned merchants about).

export class XmlFormatError extends Error {
  override name = 'XmlFormatError';
}

export type Fields = Record<string, string>;

// An element's content: text and CDATA sections (a value holding `]]>` is split across two).
const ELEMENT = /<([A-Za-z_][\w.-]*)>((?:<!\[CDATA\[[\s\S]*?\]\]>|[^<])*)<\/\1>/y;
const CONTENT_PART = /<!\[CDATA\[([\s\S]*?)\]\]>|([^<]+)/g;
const SPACE = /\s*/y;
const NAME = /[A-Za-z_][\w.-]*/y;
const ENTITY = /&(lt|gt|amp|quot|apos);/g;
const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const CDATA_OPEN = '<![CDATA[';
const CDATA_CLOSE = ']]>';
const LT = 0x3c;

export function parseXml(text: string): Fields {
  if (/<!(DOCTYPE|ENTITY)/i.test(text)) throw new XmlFormatError('DOCTYPE/ENTITY declarations are refused');
  const body = /^\s*(?:<\?xml[^>]*\?>\s*)?<xml>([\s\S]*)<\/xml>\s*$/.exec(text)?.[1];
  if (body === undefined) throw new XmlFormatError('not a WeChat <xml> document');
  const fields: Fields = {};
  let at = 0;
  while (at < body.length) {
    // Elements usually follow each other directly; `test` moves lastIndex without exec's match array.
    if (body.charCodeAt(at) !== LT) {
      SPACE.lastIndex = at;
      SPACE.test(body);
      at = SPACE.lastIndex;
      if (at >= body.length) break;
    }
    at = readElement(body, at, fields) ?? readElementByRegex(body, at, fields);
  }
  return fields;
}

/**
 * One element at `at` by a plain scan — the path the ELEMENT regex tries first, without its
 * backtracking machinery — into `fields`; the offset after it, or undefined (and nothing stored) when
 * the scan meets anything unusual, which the regex then decides.
 */
function readElement(body: string, at: number, fields: Fields): number | undefined {
  if (body.charCodeAt(at) !== LT) return undefined;
  NAME.lastIndex = at + 1;
  if (!NAME.test(body)) return undefined;
  const nameEnd = NAME.lastIndex;
  if (body[nameEnd] !== '>') return undefined;
  const name = body.slice(at + 1, nameEnd);
  let value = '';
  let i = nameEnd + 1;
  for (;;) {
    const lt = body.indexOf('<', i);
    if (lt < 0) return undefined;
    if (lt > i) value += decodeText(body.slice(i, lt));
    if (body.startsWith(CDATA_OPEN, lt)) {
      const close = body.indexOf(CDATA_CLOSE, lt + CDATA_OPEN.length);
      if (close < 0) return undefined;
      value += body.slice(lt + CDATA_OPEN.length, close);
      i = close + CDATA_CLOSE.length;
      continue;
    }
    const end = lt + 2 + name.length;
    if (body[lt + 1] !== '/' || body[end] !== '>' || !body.startsWith(name, lt + 2)) return undefined;
    fields[name] = value;
    return end + 1;
  }
}

function readElementByRegex(body: string, at: number, fields: Fields): number {
  ELEMENT.lastIndex = at;
  const m = ELEMENT.exec(body);
  if (!m) throw new XmlFormatError(`unexpected content at offset ${at}`);
  fields[m[1]!] = (m[2] ?? '').replace(
    CONTENT_PART,
    (_, cdata?: string, text?: string) => cdata ?? decodeText(text ?? ''),
  );
  return ELEMENT.lastIndex;
}

function decodeText(text: string): string {
  return text.includes('&') ? text.replace(ENTITY, (_e, e: string) => ENTITIES[e]!) : text;
}

const DIGITS = /^[0-9]+$/;

export function buildXml(fields: Fields): string {
  let out = '<xml>';
  for (const k in fields) {
    const v = fields[k]!;
    out += DIGITS.test(v)
      ? `<${k}>${v}</${k}>`
      : `<${k}><![CDATA[${v.includes(CDATA_CLOSE) ? v.replaceAll(CDATA_CLOSE, ']]]]><![CDATA[>') : v}]]></${k}>`;
  }
  return `${out}</xml>`;
}
