// Direct GraphQL calls for test setup and for events made while a browser is away.
export const DEMO_PASSWORD = "demo-password";

export async function gql<T = Record<string, unknown>>(
  baseUrl: string,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
): Promise<T> {
  const response = await fetch(`${baseUrl}/graphql`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: unknown[] };
  if (body.errors?.length || !body.data) throw new Error(`GraphQL error: ${JSON.stringify(body)}`);
  return body.data;
}

export async function login(baseUrl: string, email: string): Promise<string> {
  const data = await gql<{ login: { accessToken?: string } }>(
    baseUrl,
    `mutation($input: LoginInput!) { login(input: $input) { ... on AuthSession { accessToken } } }`,
    { input: { email, password: DEMO_PASSWORD } },
  );
  if (!data.login.accessToken) throw new Error(`login failed for ${email}`);
  return data.login.accessToken;
}

export async function openCase(
  baseUrl: string,
  token: string,
  subject: string,
  orderId: string | null = null,
): Promise<{ id: string; number: string }> {
  const data = await gql<{ openCase: { supportCase: { id: string; number: string } } }>(
    baseUrl,
    `mutation($input: OpenCaseInput!) { openCase(input: $input) {
       ... on CaseOpened { supportCase { id number } } } }`,
    { input: { subject, description: "Made by the browser suite.", category: "OTHER", orderId } },
    token,
  );
  return data.openCase.supportCase;
}

export async function postMessage(baseUrl: string, token: string, caseId: string, body: string): Promise<void> {
  await gql(
    baseUrl,
    `mutation($input: PostMessageInput!) { postMessage(input: $input) { __typename } }`,
    { input: { caseId, body, internal: false } },
    token,
  );
}
