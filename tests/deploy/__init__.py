"""What deploy/ ships, tested as it runs: Debian's nginx with deploy/nginx/ in front of
gunicorn with deploy/gunicorn.conf.py."""
