/** `text` as a regular expression that matches it literally (user input in `$regex` filters). */
export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
