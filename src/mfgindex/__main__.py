from mfgindex.cli import main

main()
