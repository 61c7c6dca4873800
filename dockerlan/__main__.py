from dockerlan.cli import main

main()
