// Specs are written as compact tables — number, name, format, length type, length — and a spec's
// rules turn each row into a FieldDef. A row's length is in digits/characters for text formats and
// in bytes for `b` (so the ISO "b 64" of field 52 is written 8).
import type { Format } from '../charsets.js';
import type { FieldDef, LengthType } from '../spec.js';

export type Row = readonly [no: number, name: string, format: Format, type: LengthType, length: number];

export type Rules = (row: Row) => FieldDef;

export function buildFields(rows: readonly Row[], rules: Rules, overrides: Record<number, Partial<FieldDef>> = {}) {
  const fields: Record<number, FieldDef> = {};
  for (const row of rows) fields[row[0]] = Object.freeze({ ...rules(row), ...overrides[row[0]] });
  return Object.freeze(fields);
}
