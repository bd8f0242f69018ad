"""The reviewer's checklist, SECURITY.md at the repository root, as far as a test can show it
for the requester side ("Headers", "Accounts and sessions", "Access control", "Input and
output", "Hostile input", "Data protection").

Each test tells what a requester or an attacker does and asserts what they see.
"""
