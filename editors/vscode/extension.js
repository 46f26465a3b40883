// Starts `archc lsp` (a Language Server Protocol server over stdio) for .arch files, and for YAML
// files when archc.yaml is set. Everything the editor shows comes from the server.
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function settings() {
  const c = vscode.workspace.getConfiguration("archc");
  return { input: c.get("input"), set: c.get("set"), inlayHints: c.get("inlayHints") };
}

async function activate(context) {
  const config = vscode.workspace.getConfiguration("archc");
  const [command, ...args] = config.get("command");
  const documentSelector = [{ scheme: "file", language: "arch" }];
  if (config.get("yaml")) {
    documentSelector.push({ scheme: "file", language: "yaml" });
  }
  client = new LanguageClient(
    "archc",
    "archc",
    { command, args },
    {
      documentSelector,
      initializationOptions: settings(),
      synchronize: { configurationSection: "archc" },
    },
  );
  context.subscriptions.push(client);
  await client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
