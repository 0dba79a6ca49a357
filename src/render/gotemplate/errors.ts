/** A template that cannot be parsed or executed; `line` is 1-based in the template text. */
export class TemplateError extends Error {
  constructor(message: string, readonly line: number) {
    super(message);
    this.name = 'TemplateError';
  }
}
