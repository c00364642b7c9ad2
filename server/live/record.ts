// npm run server -- --record FILE: every flag request as a CSV row as it ends, the same columns
// as the harness's --csv (contract/csv.ts), plus the site first and the client's connection and
// address last: a class can plot what the server saw of any client, in a notebook.

import { createWriteStream, openSync, type WriteStream } from 'node:fs'
import { csvLine, REQUEST_COLUMNS } from '../contract/csv.js'
import type { EndListener } from './feed.js'

const RECORD_COLUMNS = ['site', ...REQUEST_COLUMNS, 'connection', 'client'] as const

export class RequestRecordFile {
  readonly #out: WriteStream

  /** Opened now, so that a path that cannot be written fails before the server starts. */
  constructor (file: string) {
    this.#out = createWriteStream(file, { fd: openSync(file, 'w') })
    this.#out.write(csvLine(RECORD_COLUMNS))
  }

  /** The listener for one site's feed. */
  listener (site: string): EndListener {
    return end => {
      this.#out.write(csvLine([
        site, end.run, end.index, end.path, end.status === 'none' ? end.fault : end.status, end.fault,
        end.delayMs, end.atMs, end.endMs, end.bytes, end.connection, end.client
      ]))
    }
  }

  /** Every row written out. */
  async close (): Promise<void> {
    await new Promise<void>(resolve => this.#out.end(resolve))
  }
}
