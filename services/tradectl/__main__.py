from services.tradectl.cli import main

main()
