from smsync.cli import main

main()
