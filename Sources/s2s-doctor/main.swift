import S2SDoctorCLI

await S2SDoctorCommand.main()
