/**
 * A CDKTF app that declares MCP API tokens in TypeScript and delivers their secrets to GitHub Actions and
 * GitLab CI/CD. `cdktf plan` shows what would change, `cdktf deploy` creates the tokens and delivers them;
 * the secrets never enter cdktf.out, the plan or the state.
 *
 * In your own app, import from the package: `import { TokenSet } from "tokenform/cdktf";` (this example
 * imports the sources so it runs from a checkout). The provider bindings are part of tokenform/cdktf, so
 * cdktf.json lists no providers and `cdktf get` is not needed.
 *
 * Environment: TOKENFORM_API_URL and TOKENFORM_API_TOKEN for the token service; GITHUB_TOKEN and
 * GITLAB_TOKEN (optionally GITHUB_API_URL, GITLAB_URL) for the deliveries.
 */
import { App, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { TokenSet } from "../../src/cdktf/index.js";

class McpTokens extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new TokenSet(this, "tokens", {
      spec: {
        apiVersion: "tokenform.dev/v1",
        kind: "TokenSet",
        metadata: { owner: "acme/platform" },
        defaults: {
          expiresIn: "180d",
          rotation: { every: "90d", overlap: "48h" },
          labels: { "managed-by": "cdktf" },
        },
        tokens: [
          {
            name: "backend-ci-pipeline",
            description: "CI for the backend repo",
            scopes: ["contexts:read", "tools:call"],
            rateLimit: { perMinute: 100, perHour: 1000 },
            labels: { team: "backend" },
            deliver: [
              { github: { repository: "acme/backend", secret: "MCP_API_KEY", environment: "production" } },
            ],
          },
          {
            name: "deploy-agent",
            description: "Deploys from GitLab CI",
            type: "agent",
            scopes: ["tools:call", "deployments:write"],
            readOnly: false,
            deliver: [
              {
                gitlab: { project: "acme/deploy", variable: "MCP_AGENT_KEY", protected: true, masked: true },
              },
            ],
          },
        ],
      },
    });
  }
}

const app = new App();
new McpTokens(app, "mcp-tokens");
app.synth();
