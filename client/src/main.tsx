import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./app/App";
import { SessionStore } from "./session/sessionStore";
import { SessionStoreProvider } from "./session/SessionContext";
import "./styles.css";

const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root");

createRoot(root).render(
  <StrictMode>
    <SessionStoreProvider store={new SessionStore()}>
      <App />
    </SessionStoreProvider>
  </StrictMode>,
);
