// Text for a projector: every command, the server's and the tools', and every report wraps its
// prose at words to the same width, so one function does it for both sides.

/** What a line may take: a projector's terminal, a pipe, a file. */
export const TEXT_WIDTH = 80

/**
 * One line broken at spaces into lines of at most `width` characters (a word longer than that
 * stays whole); the lines after the first start with `hang`. Runs of spaces inside a line stay.
 */
export function wrap (line: string, width: number, hang = ''): string[] {
  const indent = /^\s*/.exec(line)?.[0] ?? ''
  const lines: string[] = []
  let current = indent
  for (const chunk of line.slice(indent.length).match(/\S+\s*/g) ?? []) {
    const word = chunk.trimEnd()
    // Each chunk keeps the spaces after its word: the line so far ends with the ones before this word.
    if (current.trim() !== '' && current.length + word.length > width) {
      lines.push(current.trimEnd())
      current = hang
    }
    current += chunk
  }
  lines.push(current.trimEnd())
  return lines
}
