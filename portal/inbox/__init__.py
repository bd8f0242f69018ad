"""Organization members: the offers made to their organization, and the requests it took."""
