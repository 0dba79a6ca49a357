/**
 * The top-level `.catalog:` (or `catalog:`) block of a rancher-compose.yml is catalog
 * metadata: read untemplated by the loader, and not part of the stack, so it is left out
 * of templating. Both halves keep every line in place (others blanked), so line numbers stay true.
 */
export function splitCatalogBlock(text: string): { block: string; rest: string } {
  const block: string[] = [];
  const rest: string[] = [];
  let inside = false;
  for (const line of text.split('\n')) {
    if (/^\.?catalog:/.test(line)) inside = true;
    else if (/^\S/.test(line) && !line.startsWith('#')) inside = false;
    block.push(inside ? line : '');
    rest.push(inside ? '' : line);
  }
  return { block: block.join('\n'), rest: rest.join('\n') };
}
