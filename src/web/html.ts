/**
 * Safe HTML by construction: the `html` tag escapes every interpolated value unless it is
 * itself `Html` (made by this tag, or by `trusted` for text another safe renderer produced).
 * Pure.
 */

export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

type Part = Html | string | number | boolean | undefined | null | readonly Part[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}

export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0] ?? '';
  values.forEach((value, index) => {
    out += render(value) + (strings[index + 1] ?? '');
  });
  return new Html(out);
}

/** Text that a safe renderer produced (the markdown renderer with HTML disabled). */
export function trusted(text: string): Html {
  return new Html(text);
}

/** Parts joined without a separator. */
export function join(parts: readonly Part[]): Html {
  return new Html(parts.map(render).join(''));
}

function render(value: Part): string {
  if (value === undefined || value === null || value === false) return '';
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}
