import ApusCLI

ApusCommand.main()
