"""Writes the OpenAPI schema the frontend's client is generated from: python -m backend.openapi PATH"""

import json
import sys
from pathlib import Path

from backend.main import create_app

if __name__ == "__main__":
    Path(sys.argv[1]).write_text(json.dumps(create_app().openapi(), indent=2) + "\n")
