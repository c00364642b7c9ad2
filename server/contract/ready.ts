// How a server started by another program says it is ready: one message over the IPC channel
// of child_process.fork/spawn, with the URL of each site. A person reads the start-up lines;
// a program reads this, so the lines can change without breaking it.

export interface ReadySite {
  /** LOCAL, DELAY, ERROR, CUSTOM... */
  name: string
  /** The site's origin, e.g. http://127.0.0.1:41234 (no /flags). */
  origin: string
}

export interface ReadyMessage {
  type: 'flag-server-ready'
  sites: ReadySite[]
}

/** Sends the message when a parent listens on an IPC channel; a server started from a shell has none. */
export function announceReady (sites: ReadySite[]): void {
  if (process.send === undefined) return
  process.send({ type: 'flag-server-ready', sites } satisfies ReadyMessage)
  // The channel must not keep the server alive on its own, nor die with an error when the parent goes.
  process.channel?.unref()
}

export function isReadyMessage (message: unknown): message is ReadyMessage {
  const { type, sites } = (message ?? {}) as Partial<ReadyMessage>
  return type === 'flag-server-ready' && Array.isArray(sites) && sites.every(site => typeof site?.origin === 'string' && typeof site.name === 'string')
}
