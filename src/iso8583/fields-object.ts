// Builds the decoded `fields` object (integer keys → strings) cheaply.
//
// V8 keeps integer keys in an element store; filling an empty object field by field makes it size
// (and, ascending, re-size) that store on the first inserts, which profiled as the largest single
// cost of a decode (a quarter of it). Cloning an object that already has the same keys (object
// spread, one builtin call) and overwriting the values is about four times cheaper. The clone is a
// plain object like any other: same keys, same order, nothing shared with the template.
//
// A template is made by JSON.parse, which sizes the element store exactly (65 slots when field 64 is
// present); an object filled by stores grows it by half again plus 16 slots, and a clone copies the
// store at the template's capacity, so the exact template makes each decoded object ≈40 % smaller
// (592 instead of 976 bytes for the 0200) and its clone ≈2× faster.
//
// Templates are kept per bitmap in a small cache with round-robin replacement: a stream of
// arbitrary bitmaps costs one extra template build per message and never grows memory.

/** Bitmap words that identify a set of fields: bits of fields 1-32, 33-64, 65-96, 97-128. */
export interface BitmapWords {
  w0: number;
  w1: number;
  w2: number;
  w3: number;
}

const SLOTS = 16;

export class FieldsObjectBuilder {
  private readonly words = new Int32Array(SLOTS * 4);
  private readonly templates: (Record<number, string> | undefined)[] = new Array(SLOTS).fill(undefined);
  private next = 0;

  /**
   * A new object with `values[i]` under key `nos[i]` for i < count. `nos` ascend and are exactly the
   * fields announced by `bitmap`.
   */
  build(bitmap: BitmapWords, nos: Int32Array, values: string[], count: number): Record<number, string> {
    let template = this.find(bitmap);
    if (template === undefined) {
      template = exactTemplate(nos, count);
      this.remember(bitmap, template);
    }
    const fields = { ...template };
    for (let i = 0; i < count; i++) fields[nos[i]] = values[i];
    return fields;
  }

  private find(bitmap: BitmapWords): Record<number, string> | undefined {
    const w = this.words;
    const w0 = bitmap.w0 | 0;
    const w1 = bitmap.w1 | 0;
    const w2 = bitmap.w2 | 0;
    const w3 = bitmap.w3 | 0;
    for (let s = 0; s < SLOTS; s++) {
      const k = s * 4;
      if (w[k] === w0 && w[k + 1] === w1 && w[k + 2] === w2 && w[k + 3] === w3) {
        const template = this.templates[s];
        if (template !== undefined) return template;
      }
    }
    return undefined;
  }

  private remember(bitmap: BitmapWords, template: Record<number, string>): void {
    const s = this.next;
    this.next = (s + 1) % SLOTS;
    const k = s * 4;
    this.words[k] = bitmap.w0;
    this.words[k + 1] = bitmap.w1;
    this.words[k + 2] = bitmap.w2;
    this.words[k + 3] = bitmap.w3;
    this.templates[s] = template;
  }
}

/** An object with blank values (keys only: no PAN lingers in a cache) under `nos[0..count)`. */
function exactTemplate(nos: Int32Array, count: number): Record<number, string> {
  let json = '{';
  for (let i = 0; i < count; i++) json += `${i === 0 ? '' : ','}"${nos[i]}":""`;
  return JSON.parse(`${json}}`) as Record<number, string>;
}

/**
 * A fields object filled directly. Inserting the highest field number first sizes the element store
 * once (ascending inserts would grow it several times).
 */
export function fill(nos: Int32Array, values: string[], count: number): Record<number, string> {
  const fields: Record<number, string> = {};
  for (let i = count - 1; i >= 0; i--) fields[nos[i]] = values[i];
  return fields;
}
