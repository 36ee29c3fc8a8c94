// The admin HTTP API (Hummingbird) lives here.
