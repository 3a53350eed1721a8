// Starts the real embedded service (`python -m app.serve`: API, worker, simulators, built client)
// on a free port with its own data folder, and stops it. Restartable on the same port and data.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

const REPO = path.resolve(import.meta.dirname, "..", "..");
const PYTHON = process.env.E2E_PYTHON ?? path.join(REPO, ".venv", "bin", "python");

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => (typeof address === "object" && address ? resolve(address.port) : reject()));
    });
  });
}

export class ServiceProcess {
  private child: ChildProcess | null = null;
  private log: string[] = [];

  private constructor(
    readonly port: number,
    readonly dataDir: string,
  ) {}

  static async start(): Promise<ServiceProcess> {
    const service = new ServiceProcess(await freePort(), mkdtempSync(path.join(tmpdir(), "support-e2e-")));
    await service.boot();
    return service;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async boot(): Promise<void> {
    this.log = [];
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(this.port),
      HOST: "127.0.0.1",
      DATA_DIR: this.dataDir,
      LOG_LEVEL: "WARNING",
      REFUND_WORKER_POLL_SECONDS: "0.2",
      WS_SESSION_CHECK_SECONDS: "2",
    };
    delete env.REDIS_URL;
    delete env.DATABASE_URL;
    delete env.APP_ENV;
    const child = spawn(PYTHON, ["-m", "app.serve"], { cwd: REPO, env, stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    const keep = (chunk: Buffer) => {
      this.log.push(chunk.toString());
      if (this.log.length > 400) this.log.splice(0, 100);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`server exited early:\n${this.output()}`);
      try {
        const response = await fetch(`${this.url}/readyz`);
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`server not ready in 60 s:\n${this.output()}`);
  }

  /** SIGTERM, then SIGKILL after a grace period; resolves when the process is gone. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.boot();
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  output(): string {
    return this.log.join("");
  }
}
