// The names a client and the server agree on, kept apart from app.ts so that a client can
// import them without loading Fastify.

/** The client's salt: the same path with another salt draws another fate. */
export const SALT_HEADER = 'x-flags-salt'

/** x-flags-latency: 200ms and the like override the site's injection for one request. */
export const OVERRIDE_HEADER_PREFIX = 'x-flags-'
