from coordination_service.app import main

raise SystemExit(main())
