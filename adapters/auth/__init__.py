"""Authentication adapters: password hashing (argon2), access tokens (JWT), refresh tokens."""
