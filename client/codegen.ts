// Types come from the committed ../schema.graphql, never from a live server. The generated files in
// src/gql are committed; `npm run codegen:check` (run by the unit tests) fails when they are stale.
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: process.env.CODEGEN_PENDING ? ["../schema.graphql", process.env.CODEGEN_PENDING] : "../schema.graphql",
  documents: ["src/**/*.{ts,tsx}", "!src/gql/**/*"],
  ignoreNoDocuments: false,
  generates: {
    "src/gql/": {
      preset: "client",
      presetConfig: { fragmentMasking: false },
      config: {
        enumsAsTypes: true,
        useTypeImports: true,
        skipTypename: false,
        nonOptionalTypename: true,
        strictScalars: true,
        scalars: { DateTime: "string", Date: "string", ID: "string" },
      },
    },
    // The schema's shape (unions, interfaces) for graphcache, so it can match fragments on union
    // members and tell entities from embedded values without guessing. Plain JSON: it is data, and
    // Vite and TypeScript import it as it is.
    "src/gql/introspection.json": {
      plugins: ["urql-introspection"],
      config: { includeScalars: false },
    },
  },
  hooks: { afterAllFileWrite: [] },
};

export default config;
