"""The requester's side: submit a request and follow it with a tracking code."""
