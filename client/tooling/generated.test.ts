// The generated types are committed; they must match the committed ../schema.graphql and the
// documents of the screens (like the server's schema drift test).
import { execFileSync } from "node:child_process";
import path from "node:path";

it("generated GraphQL types are up to date (run `npm run codegen`)", () => {
  const root = path.resolve(import.meta.dirname, "..");
  const env = { ...process.env };
  delete env.CODEGEN_PENDING;
  expect(() =>
    execFileSync(process.execPath, [path.join(root, "node_modules/@graphql-codegen/cli/cjs/bin.js"), "--config", "codegen.ts", "--check"], {
      cwd: root,
      env,
      stdio: "pipe",
    }),
  ).not.toThrow();
}, 60_000);
