// {{name}}: turns a semicolon-separated file into the comma-separated one Wharf reads.

import { defineTransform, Document } from './wharf/wharf.js';
import { config } from './wharf/host.js';

/** The same rows, separated by commas, without a byte order mark. */
export const transform = defineTransform((ctx, document) => {
  const delimiter = config('delimiter', ';');
  const text = document.text().replace(/^\uFEFF/, '');
  const lines = parseCsv(text, delimiter).map((fields) => fields.map(quoted).join(','));
  return new Document('csv', lines.map((line) => `${line}\n`).join(''), document.name);
});

/** The rows of CSV `text` separated by `delimiter`, quotes (`"a;b"`, `""`) honoured. */
function parseCsv(text, delimiter) {
  const rows = [];
  let fields = [];
  let field = '';
  let inQuotes = false;
  for (let at = 0; at < text.length; at++) {
    const char = text[at];
    if (inQuotes) {
      if (char === '"' && text[at + 1] === '"') {
        field += '"';
        at++;
      } else if (char === '"') {
        inQuotes = false;
      } else {
        field += char;
      }
    } else if (char === '"') {
      inQuotes = true;
    } else if (char === delimiter) {
      fields.push(field);
      field = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[at + 1] === '\n') at++;
      fields.push(field);
      rows.push(fields);
      fields = [];
      field = '';
    } else {
      field += char;
    }
  }
  if (field !== '' || fields.length > 0) {
    fields.push(field);
    rows.push(fields);
  }
  return rows;
}

/** A field as CSV writes it: quoted when it holds a comma, a quote or a line break. */
function quoted(field) {
  return /[",\r\n]/.test(field) ? `"${field.replaceAll('"', '""')}"` : field;
}
