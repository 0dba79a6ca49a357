/** Image references as Docker lists them, so that `redis` and `docker.io/library/redis:latest` compare equal. */

export function normalizeImageRef(ref: string): string {
  const withoutRegistry = ref.replace(/^(docker\.io|index\.docker\.io|registry-1\.docker\.io)\//, '').replace(/^library\//, '');
  if (withoutRegistry.includes('@')) return withoutRegistry;
  const lastSegment = withoutRegistry.slice(withoutRegistry.lastIndexOf('/') + 1);
  return lastSegment.includes(':') ? withoutRegistry : `${withoutRegistry}:latest`;
}

export function hasImage(images: readonly string[], ref: string): boolean {
  const wanted = normalizeImageRef(ref);
  return images.some((image) => normalizeImageRef(image) === wanted);
}
