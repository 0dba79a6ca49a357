/**
 * A template that cannot be parsed or executed. The message does not name the file (the
 * caller does); `line` and `column` are 1-based positions in the template text.
 */
export class TemplateError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column?: number,
  ) {
    super(message);
    this.name = 'TemplateError';
  }
}
