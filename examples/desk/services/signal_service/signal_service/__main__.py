from signal_service.app import main

raise SystemExit(main())
