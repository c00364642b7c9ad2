// Bind a built site. "localhost" means both loopbacks, 127.0.0.1 and ::1, whatever the
// resolver says: Fastify binds what dns.lookup('localhost') returns, which on many machines is
// 127.0.0.1 alone, while clients may resolve localhost to ::1 first and be refused.

import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { remembered } from './http-options.js'

/**
 * Node's default listen backlog is 511: 5,000 clients connecting at once overflow it, and the
 * kernel drops connections that then start seconds late. 4096 is Linux's default somaxconn.
 */
const BACKLOG = 4096

export interface Listening {
  port: number
  /**
   * Stop accepting; resolves when every request in flight, on either loopback, is done. Idle
   * connections close at once; the others after their answers, which say "Connection: close".
   */
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
  const twin = createServer(remembered(app.server).options)
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
  const { connections } = remembered(app.server)
  for (const server of servers) connections.watch(server)
  return {
    port: bound,
    close: async () => {
      // Not a reaper closing connections as they go idle: the client of one could be sending its
      // next request as it closed, and lose it. An answer already under way when closing began
      // keeps its keep-alive; its connection closes after its next request, or at the grace's cut.
      connections.close()
      try {
        await Promise.all([app.close(), new Promise(resolve => twin === undefined ? resolve(undefined) : twin.close(resolve))])
      } finally {
        connections.stop()
      }
    },
    cut: () => { for (const server of servers) server.closeAllConnections() }
  }
}
