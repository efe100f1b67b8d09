"""The HTTP edge, one module per subject: parse, authorise through sessions.access, call a
service, render."""
