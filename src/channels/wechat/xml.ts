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
const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

export function parseXml(text: string): Fields {
  if (/<!(DOCTYPE|ENTITY)/i.test(text)) throw new XmlFormatError('DOCTYPE/ENTITY declarations are refused');
  const body = /^\s*(?:<\?xml[^>]*\?>\s*)?<xml>([\s\S]*)<\/xml>\s*$/.exec(text)?.[1];
  if (body === undefined) throw new XmlFormatError('not a WeChat <xml> document');
  const fields: Fields = {};
  let at = 0;
  while (at < body.length) {
    const space = /\s*/y;
    space.lastIndex = at;
    space.exec(body);
    at = space.lastIndex;
    if (at >= body.length) break;
    ELEMENT.lastIndex = at;
    const m = ELEMENT.exec(body);
    if (!m) throw new XmlFormatError(`unexpected content at offset ${at}`);
    fields[m[1]!] = (m[2] ?? '').replace(
      CONTENT_PART,
      (_, cdata?: string, text?: string) =>
        cdata ?? (text ?? '').replace(/&(lt|gt|amp|quot|apos);/g, (_e, e: string) => ENTITIES[e]!),
    );
    at = ELEMENT.lastIndex;
  }
  return fields;
}

export function buildXml(fields: Fields): string {
  let out = '<xml>';
  for (const [k, v] of Object.entries(fields)) {
    out += /^[0-9]+$/.test(v)
      ? `<${k}>${v}</${k}>`
      : `<${k}><![CDATA[${v.replaceAll(']]>', ']]]]><![CDATA[>')}]]></${k}>`;
  }
  return `${out}</xml>`;
}
