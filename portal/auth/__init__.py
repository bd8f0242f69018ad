"""Staff sign-in, two-factor codes, sign-out and password change."""
