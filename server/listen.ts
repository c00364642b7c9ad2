// Bind a built site. "localhost" means both loopbacks, 127.0.0.1 and ::1, whatever the
// resolver says: Fastify binds what dns.lookup('localhost') returns, which on many machines is
// 127.0.0.1 alone, while clients may resolve localhost to ::1 first and be refused.

import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { rememberedOptions } from './http-options.js'

/**
 * Node's default listen backlog is 511: 5,000 clients connecting at once overflow it, and the
 * kernel drops connections that then start seconds late. 4096 is Linux's default somaxconn.
 */
const BACKLOG = 4096

/** While closing, how often to close the keep-alive connections that went idle since. */
const REAP_MS = 50

export interface Listening {
  port: number
  /** Stop accepting; resolves when every request in flight, on either loopback, is done. */
  close: () => Promise<void>
  /** Cut every connection now: what is left when the grace period is over. */
  cut: () => void
}

/**
 * A ::1 listener on the same port, made with the same options (timeouts) and answering with the
 * same listeners: the requests' (Fastify's and the tracker's) and the bad requests' (Fastify's
 * 400, 408 and 431 with a JSON body).
 */
async function listenV6Twin (app: FastifyInstance, port: number): Promise<Server | undefined> {
  const twin = createServer(rememberedOptions(app.server))
  for (const event of ['request', 'clientError'] as const) {
    for (const listener of app.server.listeners(event) as Array<(...args: unknown[]) => void>) twin.on(event, listener)
  }
  const bound = await new Promise<boolean>(resolve => {
    twin.once('error', () => resolve(false))
    twin.listen({ host: '::1', port, ipv6Only: true, backlog: BACKLOG }, () => resolve(true))
  })
  // A machine with no IPv6 loopback still serves on 127.0.0.1, as Fastify would.
  return bound ? twin : undefined
}

export async function listenSite (app: FastifyInstance, host: string, port: number): Promise<Listening> {
  const localhost = host === 'localhost'
  await app.listen({ host: localhost ? '127.0.0.1' : host, port, backlog: BACKLOG })
  const bound = (app.server.address() as AddressInfo).port
  const twin = localhost ? await listenV6Twin(app, bound) : undefined
  const servers = twin === undefined ? [app.server] : [app.server, twin]
  return {
    port: bound,
    close: async () => {
      // close() reaps the connections idle when it is called; one whose request finishes later
      // stays open on keep-alive and would hold the close until the grace period ends.
      const reap = setInterval(() => { for (const server of servers) server.closeIdleConnections() }, REAP_MS)
      try {
        await Promise.all([app.close(), new Promise(resolve => twin === undefined ? resolve(undefined) : twin.close(resolve))])
      } finally {
        clearInterval(reap)
      }
    },
    cut: () => { for (const server of servers) server.closeAllConnections() }
  }
}
