from rta.cli import main

main()
