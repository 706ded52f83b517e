/**
 * The files picked in a file input, with the input emptied: a browser fires no change for the
 * same file picked again, so without this a retry after a failed upload would do nothing.
 */
export function takeFiles(input: HTMLInputElement): File[] {
  const files = Array.from(input.files ?? []);
  input.value = "";
  return files;
}
