"""Reports: terminal tables (``tables``), and the HTML/JSON decision report."""
