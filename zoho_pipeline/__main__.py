"""`python -m zoho_pipeline` is the same as the `zoho-pipeline` command."""
from zoho_pipeline.cli import main

main()
