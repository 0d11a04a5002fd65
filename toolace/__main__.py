from toolace.cli import main

main()
