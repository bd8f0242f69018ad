"""Staff give colleagues access to their group's key (portal.keychain): the page and its form."""
